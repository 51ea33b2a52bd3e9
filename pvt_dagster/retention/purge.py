"""``pvt purge`` and the ``pvt__purge`` schedule: what is past its client's retention, what is
kept (a file still running, on hold, or failed and awaiting a replay is never touched), and
the deletions, each recorded as a ``purge`` event on the file's manifest chain so that
``pvt ledger verify`` still passes and ``verify --files`` knows the bytes went on purpose."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pvt_dagster.config import RetentionConfig
from pvt_dagster.domain import PurgeArea, Stage
from pvt_dagster.errors import PvtError, one_line
from pvt_dagster.ledger import PURGE_ACTION, FileRecord, OutputState, ensure_utc, utcnow
from pvt_dagster.pipeline import Intake

#: Statuses after which nothing more happens to a file on its own.
FINAL_STATUSES = ("delivered", "rejected")
#: What each stage's output is, as ``pvt purge`` names it.
WHAT: dict[Stage, str] = {"raw": "vault copy", "decrypted": "decrypted file",
                          "scrubbed": "scrubbed file", "delivered": "daily CSV"}
AREAS: dict[Stage, PurgeArea] = {"raw": "vault", "decrypted": "work", "scrubbed": "work",
                                 "delivered": "outputs"}


@dataclass(frozen=True)
class PurgeItem:
    """One stored output past its time: whose it is, where, how big and how old."""

    key: str
    client: str
    feed: str | None
    area: PurgeArea
    stage: Stage
    path: Path
    sha256: str | None
    bytes: int
    written_at: datetime
    retention_days: int
    recorded_name: str | None = None  # the output's name in its event (matched by the purge)


@dataclass(frozen=True)
class Kept:
    """An output past its time that is kept, and why (the file is not final)."""

    key: str
    area: PurgeArea
    path: Path
    reason: str


@dataclass
class PurgeReport:
    """What one purge deleted (or, in a dry run, would delete) and kept."""

    at: datetime
    dry_run: bool
    purged: list[PurgeItem] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        """Bytes freed (each path counted once: a daily CSV holds several files)."""
        return sum({item.path: item.bytes for item in self.purged}.values())

    def as_json(self, home: Path) -> dict[str, Any]:
        """The ``pvt purge --json`` object (see the README)."""
        def rel(path: Path) -> str:
            return str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
        return {
            "dry_run": self.dry_run, "at": iso_z(self.at), "bytes": self.bytes,
            "files": len({item.key for item in self.purged}),
            "purged": [{"key": i.key, "client": i.client, "feed": i.feed, "area": i.area,
                        "stage": i.stage, "path": rel(i.path), "bytes": i.bytes,
                        "written_at": iso_z(i.written_at), "retention_days": i.retention_days}
                       for i in self.purged],
            "kept": [{"key": k.key, "area": k.area, "path": rel(k.path), "reason": k.reason}
                     for k in self.kept],
            "errors": self.errors,
        }


def iso_z(moment: datetime) -> str:
    """ISO 8601 UTC to the second, ending in ``Z`` (as every ``--json`` prints times)."""
    return ensure_utc(moment).isoformat(timespec="seconds").replace("+00:00", "Z")


def _days(retention: RetentionConfig, area: PurgeArea) -> int | None:
    return {"vault": retention.vault_days, "work": retention.work_days,
            "outputs": retention.outputs_days}[area]


def _path(intake: Intake, state: OutputState) -> Path:
    """Where an output is: its recorded name (home-relative or absolute), else the layout's."""
    if state.name:
        return intake.layout.stored(state.name)
    _, default = intake.layout.stage_io(state.stage, state.key)
    return default if default is not None else intake.layout.files / state.key


def _not_final(record: FileRecord, running: set[str]) -> str | None:
    """Why a file's bytes must stay, or None when it is final."""
    if record.key in running:
        return f"still running (status {record.status})"
    if record.status == "on_hold":
        return "on hold: it runs when its feed is released"
    if record.status == "failed":
        return "failed: awaiting a replay"
    if record.status not in FINAL_STATUSES:
        return f"still running (status {record.status})"
    return None


def plan_purge(intake: Intake, *, now: datetime | None = None, client: str | None = None,
               ) -> tuple[list[PurgeItem], list[Kept]]:
    """Every output past its client's retention at ``now``: those to delete, those kept."""
    now = now or utcnow()
    config = intake.config
    clients = [c for c, cfg in config.clients.items()
               if cfg.retention.is_set and (client is None or c == client)]
    files = {r.key: r for c in clients for r in intake.ledger.list_files(client=c)}
    running = intake.ledger.running_file_keys()
    due: list[tuple[PurgeItem, str | None]] = []
    for state in intake.ledger.output_states(list(files) if len(files) < 500 else None):
        record = files.get(state.key)
        if record is None or state.purged_at is not None:
            continue
        area = AREAS[state.stage]
        days = _days(config.clients[record.client].retention, area)
        if days is None or state.written_at > now - timedelta(days=days):
            if area == "outputs":  # a daily CSV another file still needs keeps it
                due.append((_item(intake, record, state, area, -1), None))
            continue
        path = _path(intake, state)
        if not intake.store.present(path):
            continue  # already gone: `pvt ledger verify --files` reports it
        due.append((_item(intake, record, state, area, days), _not_final(record, running)))
    return _shared_outputs(due)


def _item(intake: Intake, record: FileRecord, state: OutputState, area: PurgeArea,
          days: int) -> PurgeItem:
    path = _path(intake, state)
    size = intake.store.size(path) or 0
    return PurgeItem(record.key, record.client, record.feed, area, state.stage, path,
                     state.sha256, size, state.written_at, days, state.name)


def _shared_outputs(due: list[tuple[PurgeItem, str | None]],
                    ) -> tuple[list[PurgeItem], list[Kept]]:
    """Split into deletions and kept outputs; a daily CSV goes only when every file in it
    may go (``retention_days`` -1 marks a file in it that is not past its time yet)."""
    by_csv: dict[Path, list[tuple[PurgeItem, str | None]]] = defaultdict(list)
    for item, why in due:
        if item.area == "outputs":
            by_csv[item.path].append((item, why))
    purged: list[PurgeItem] = []
    kept: list[Kept] = []
    for item, why in due:
        if item.retention_days < 0:
            continue
        if why is None and item.area == "outputs":
            blockers = [(other, reason) for other, reason in by_csv[item.path]
                        if other.key != item.key and (reason or other.retention_days < 0)]
            if blockers:
                other, reason = blockers[0]
                why = (f"the daily CSV also holds {other.key} ("
                       f"{reason or 'not past its time yet'})")
        if why is None:
            purged.append(item)
        else:
            kept.append(Kept(item.key, item.area, item.path, why))
    return purged, kept


def purge(intake: Intake, *, user: str, dry_run: bool = False, now: datetime | None = None,
          client: str | None = None) -> PurgeReport:
    """Delete what is past its time (unless ``dry_run``), recording a ``purge`` event on
    each file's chain and the run as an operator action."""
    now = now or utcnow()
    items, kept = plan_purge(intake, now=now, client=client)
    report = PurgeReport(at=now, dry_run=dry_run, kept=kept)
    if dry_run:
        report.purged = items
        return report
    gone: set[Path] = set()
    for item in items:
        if item.path not in gone:
            try:
                intake.store.remove(item.path)
            except OSError as exc:
                report.errors.append(f"{item.key}: cannot delete "
                                     f"{intake.layout.relative(item.path)}: {exc.strerror}")
                continue
            except PvtError as exc:
                report.errors.append(f"{item.key}: {one_line(exc)}")
                continue
            gone.add(item.path)
        moment = utcnow()
        intake.ledger.append_event(
            item.key, stage=item.stage, action=PURGE_ACTION, input_sha256=item.sha256,
            input_name=item.recorded_name or intake.layout.relative(item.path), bytes=item.bytes,
            started_at=moment, finished_at=moment,
            details={"area": item.area, "retention_days": item.retention_days,
                     "written_at": item.written_at})
        report.purged.append(item)
    if report.purged or report.errors:
        intake.ledger.record_operator_action(
            action="purge", target="retention", user=user,
            details={"files": len({i.key for i in report.purged}), "bytes": report.bytes,
                     "outputs": len(report.purged), "errors": len(report.errors)})
    return report
