"""The campaign's audit: from the targets (daily CSVs and the table), the ledger, the SMTP
catcher and the Salesforce stand-in, what was delivered exactly once, failed with an error,
lost, doubled, or left at a source."""

from __future__ import annotations

import contextlib
import csv
import re
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pvt_dagster_tests.support.campaign.chaos import Drop
from pvt_dagster_tests.support.campaign.world import SOURCES, World

_MEMBER = re.compile(r"^f(\d+)v(\d+)r\d+$")
OPEN_SENDS = ("pending", "sending", "batched")
UNFINISHED = ("discovered", "received", "decrypted", "validated", "scrubbed", "on_hold")


@dataclass
class Figures:
    """What the campaign found; ``problems`` lists every broken promise."""

    dropped: int = 0
    delivered_once: int = 0
    failed_with_error: int = 0
    lost: list[str] = field(default_factory=list)
    superseded: int = 0
    not_once: list[str] = field(default_factory=list)
    rows_doubled: int = 0
    emails_sent: int = 0
    emails_lost: list[str] = field(default_factory=list)
    emails_doubled: int = 0
    cases_sent: int = 0
    cases_lost: list[str] = field(default_factory=list)
    cases_doubled: int = 0
    sends_given_up: list[str] = field(default_factory=list)
    left_at_source: list[str] = field(default_factory=list)
    left_rejected: int = 0
    seconds: float = 0.0

    def problems(self) -> list[str]:
        """Every count that must be zero and is not, with examples."""
        checks = {"files lost": self.lost, "files not delivered exactly once": self.not_once,
                  "emails lost": self.emails_lost, "cases lost": self.cases_lost,
                  "sends given up": self.sends_given_up,
                  "files left at a source after delivery": self.left_at_source}
        out = [f"{name}: {len(items)} ({items[:5]})" for name, items in checks.items() if items]
        for name, count in (("rows doubled", self.rows_doubled),
                            ("emails doubled", self.emails_doubled),
                            ("cases doubled", self.cases_doubled)):
            if count:
                out.append(f"{name}: {count}")
        return out

    def lines(self) -> list[str]:
        """The printed report."""
        return [
            f"files dropped: {self.dropped}",
            f"files delivered exactly once (daily CSV and table): {self.delivered_once}",
            f"files failed, each with a recorded error: {self.failed_with_error}",
            f"files lost: {len(self.lost)}",
            f"earlier versions superseded by a rename or rewrite: {self.superseded}",
            f"files delivered other than exactly once: {len(self.not_once)}",
            f"rows doubled: {self.rows_doubled}",
            f"emails sent {self.emails_sent}, lost {len(self.emails_lost)}, "
            f"doubled {self.emails_doubled}",
            f"Salesforce cases sent {self.cases_sent}, lost {len(self.cases_lost)}, "
            f"doubled {self.cases_doubled}; sends given up {len(self.sends_given_up)}",
            f"files left at a source after delivery: {len(self.left_at_source)} "
            f"(rejected and left, with a reason: {self.left_rejected})",
            f"time taken: {self.seconds:.0f} s"]


def _ledger(world: World) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{world.home / 'ledger.db'}?mode=ro", uri=True, timeout=30)


def settled(world: World, drops: list[Drop]) -> bool:
    """Whether the campaign can be audited: every drop's last version is at an end state,
    no file is unfinished and no message is still to send."""
    with contextlib.closing(_ledger(world)) as db:
        files = db.execute("SELECT source, name, status FROM files ORDER BY id").fetchall()
        sends = db.execute("SELECT count(*) FROM message_deliveries WHERE status IN "
                           "(?, ?, ?)", OPEN_SENDS).fetchone()[0]
        unrouted = db.execute("SELECT count(*) FROM messages WHERE routed_at IS NULL"
                              ).fetchone()[0]
    latest = {f"{s}/{n}": st for s, n, st in files}
    if any(st in UNFINISHED for st in latest.values()) or sends or unrouted:
        return False
    return all(latest.get(f"{d.source}/{d.name}") in ("delivered", "failed") for d in drops)


def _target_rows(world: World) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(member_id, file key) of every row in the daily CSVs and in the table."""
    in_csv = []
    for path in sorted(world.out.glob("*.csv")):
        with path.open(newline="") as fh:
            in_csv += [(r["member_id"], r["_pvt_key"]) for r in csv.DictReader(fh)]
    tables = sqlite3.connect(f"file:{world.tables}?mode=ro", uri=True, timeout=30)
    with contextlib.closing(tables) as db:
        in_table = db.execute("SELECT member_id, _pvt_key FROM acme__members").fetchall()
    return in_csv, in_table


def audit(world: World, drops: list[Drop], seconds: float) -> Figures:
    """Compare what was dropped with what every target, the ledger and the channels hold."""
    fig = Figures(dropped=len(drops), seconds=seconds)
    in_csv, in_table = _target_rows(world)
    for rows in (in_csv, in_table):
        fig.rows_doubled += sum(n - 1 for n in Counter(m for m, _ in rows).values() if n > 1)
    counts = {"csv": Counter(k for _, k in in_csv), "table": Counter(k for _, k in in_table)}
    versions: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for member, key in [*in_csv, *in_table]:
        match = _MEMBER.match(member)
        versions[key].add((int(match[1]), int(match[2])) if match else (-1, -1))
    by_fid = {d.fid: d for d in drops}
    with contextlib.closing(_ledger(world)) as db:
        files = db.execute("SELECT key, source, name, status, error FROM files "
                           "ORDER BY id").fetchall()
    delivered_versions = set()
    for key, _source, _name, status, _error in files:
        if status != "delivered":
            continue
        (fid, version), *rest = sorted(versions.get(key) or {(-1, -1)})
        drop = by_fid.get(fid)
        expected = drop.rows.get(version) if drop else None
        if rest or expected is None or counts["csv"][key] != expected or \
                counts["table"][key] != expected:
            fig.not_once.append(key)
            continue
        fig.delivered_once += 1
        delivered_versions.add((fid, version))
        if drop is not None and version != drop.version:
            fig.superseded += 1
    failed = {(s, n) for _k, s, n, st, err in files if st == "failed" and err}
    fig.superseded += sum(1 for _k, _s, _n, st, err in files
                          if st == "rejected" and err and "disappeared" in err)
    for drop in drops:
        if (drop.fid, drop.version) in delivered_versions:
            continue
        if (drop.source, drop.name) in failed:
            fig.failed_with_error += 1
            continue
        fig.lost.append(f"{drop.source}/{drop.name} v{drop.version}")
    _left_at_source(world, files, fig)
    _messages(world, fig)
    return fig


def _left_at_source(world: World, files: list[tuple[str, str, str, str, str | None]],
                    fig: Figures) -> None:
    latest = {(s, n): (st, k) for k, s, n, st, _e in files}
    for source in SOURCES:
        for name in world.listing(source):
            status, key = latest.get((source, name), ("unknown", ""))
            if status == "rejected":
                fig.left_rejected += 1
            else:
                fig.left_at_source.append(f"{source}/{name} ({status} {key})")


def _messages(world: World, fig: Figures) -> None:
    """Ledger sends against what the SMTP catcher and the Salesforce stand-in received."""
    with contextlib.closing(_ledger(world)) as db:
        sends = db.execute("SELECT d.channel, d.status, d.idempotency_key, m.kind, "
                           "d.last_error FROM message_deliveries d JOIN messages m "
                           "ON m.id = d.message_id").fetchall()
    with world.smtp.lock:
        received = Counter(str(m["Message-ID"]).strip() for m in world.smtp.received)
    with world.sf.lock:
        cases = Counter(str(c.get("PVT_Key__c")) for c in world.sf.cases())
    fig.emails_doubled = sum(n - 1 for n in received.values() if n > 1)
    fig.cases_doubled = sum(n - 1 for n in cases.values() if n > 1)
    for channel, status, key, kind, error in sends:
        if status == "failed":
            fig.sends_given_up.append(f"{channel} {kind}: {error}")
            continue
        if channel.startswith("email:"):
            fig.emails_sent += 1
            if status != "sent" or received[key] == 0:
                fig.emails_lost.append(f"{kind} {key} ({status})")
        elif channel == "salesforce" and kind != "resolved":
            fig.cases_sent += 1
            if status != "sent" or cases[key] == 0:
                fig.cases_lost.append(f"{kind} {key} ({status})")
