"""The campaign's files and its chaos: drops of CSV files whose member ids name the file and its
version, and a thread that, for a bounded time, kills servers and run workers, makes SMTP and
the Salesforce stand-in refuse or hang, and renames and rewrites files while they settle."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from pvt_dagster_tests.support.campaign.faultnet import Hang, established
from pvt_dagster_tests.support.campaign.world import SOURCES, World

GOOD_SSNS = ("123-45-6789", "234-56-7890", "345-67-8901")
BAD_SSN = "12-3"  # fails the ssn pattern (severity failure): the file is failed, with an error


@dataclass
class Drop:
    """One file a client dropped: where, under which name now, its version and rows."""

    fid: int
    source: str
    name: str
    bad: bool
    version: int = 0
    rows: dict[int, int] = field(default_factory=dict)  # version -> row count
    names: list[str] = field(default_factory=list)  # every name it had

    def content(self, rng: random.Random, *, warn: bool) -> bytes:
        """A new version's CSV (``member_id`` = ``f<fid>v<version>r<n>``); records its rows."""
        count = rng.randint(1, 5)
        self.rows[self.version] = count
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["member_id", "ssn", "phone"])
        for n in range(count):
            ssn = BAD_SSN if self.bad and n == 0 else GOOD_SSNS[n % 3]
            phone = "555" if warn and n == 0 else "(555) 123-4567"
            writer.writerow([f"f{self.fid}v{self.version}r{n}", ssn, phone])
        return buffer.getvalue().encode()


def ledger_statuses(world: World) -> dict[str, str]:
    """Ledger status of each file name at each source (``source/name``: latest record's)."""
    path = world.home / "ledger.db"
    if not path.exists():
        return {}
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                timeout=10)) as db:
            rows = db.execute("SELECT source, name, status FROM files ORDER BY id").fetchall()
    except sqlite3.Error:
        return {}
    return {f"{source}/{name}": status for source, name, status in rows}


def restart(start: Callable[[], object], timeout: float = 20) -> None:
    """Start a server again on its port, retrying while the port is still being released."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            start()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Campaign:
    """The drops made so far and the faults injected, shared by the dropper and chaos."""

    def __init__(self, world: World, seed: int = 15) -> None:
        self.world, self.rng = world, random.Random(seed)
        self.drops: list[Drop] = []
        self.faults: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def drop(self, fid: int) -> None:
        """Drop file ``fid``: sources in turn, one in ten bad, one in eight with a warning."""
        source = SOURCES[fid % len(SOURCES)]
        item = Drop(fid, source, f"{source}_{fid:05d}.csv", bad=fid % 10 == 3)
        item.names.append(item.name)
        data = item.content(self.rng, warn=fid % 8 == 5)
        with self.lock:
            self.world.put(source, item.name, data)
            self.drops.append(item)

    # --- the chaos thread ---------------------------------------------------------------
    def chaos(self, seconds: float) -> None:
        """Inject faults in turn, 1 to 3 s apart, for at most ``seconds`` (or until stopped)."""
        actions: list[Callable[[], None]] = [
            self.kill_server, self.rename, self.kill_worker, self.smtp_refuse, self.rewrite,
            self.sf_refuse, self.kill_server, self.smtp_hang, self.kill_worker, self.sf_hang]
        deadline = time.monotonic() + seconds
        turn = 0
        while time.monotonic() < deadline and not self.stop.is_set():
            action = actions[turn % len(actions)]
            turn += 1
            try:
                action()
            except Exception as exc:
                self.faults[f"chaos_error {action.__name__}: {exc}"[:120]] += 1
            self.stop.wait(self.rng.uniform(1, 3))

    def kill_server(self) -> None:
        """SIGKILL one source server (sftp, ftp, or cut the S3 endpoint) while a client is on it,
        and restart it on its port."""
        which = ("sftp", "ftp", "s3")[self.faults["server_kill"] % 3]
        server = {"sftp": self.world.sftp, "ftp": self.world.ftp, "s3": self.world.relay}[which]
        deadline = time.monotonic() + 8
        while not established(server.port) and time.monotonic() < deadline:
            time.sleep(0.05)  # wait for a client on it: a transfer or a listing under way
        server.kill()
        self.faults["server_kill"] += 1
        self.faults[f"server_kill_{which}"] += 1
        time.sleep(self.rng.uniform(0.5, 2))
        restart(server.start)

    def kill_worker(self) -> None:
        """SIGKILL a run worker mid-stage (waits up to 10 s for one to be running)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not self.stop.is_set():
            pids = self.world.run_workers()
            if pids:
                time.sleep(self.rng.uniform(0.5, 2.0))  # let it get into a stage
                pid = self.rng.choice(pids)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
                self.faults["worker_kill"] += 1
                return
            time.sleep(0.2)

    def smtp_refuse(self) -> None:
        """SMTP down: connections refused for a few seconds."""
        self.world.smtp.stop()
        self.faults["smtp_refuse"] += 1
        time.sleep(self.rng.uniform(2, 5))
        restart(self.world.smtp.start)

    def smtp_hang(self) -> None:
        """SMTP hung: connections accepted, never answered, for a few seconds."""
        self.world.smtp.stop()
        hang = Hang(self.world.smtp.port)
        self.faults["smtp_hang"] += 1
        time.sleep(self.rng.uniform(4, 8))
        hang.close()
        restart(self.world.smtp.start)

    def sf_refuse(self) -> None:
        """Salesforce answers 503 to the next few requests."""
        self.world.sf.fail_next(503, self.rng.randint(2, 6))
        self.faults["sf_refuse"] += 1

    def sf_hang(self) -> None:
        """Salesforce hung: connections accepted, never answered, for a few seconds."""
        self.world.sf.stop()
        hang = Hang(self.world.sf.port)
        self.faults["sf_hang"] += 1
        time.sleep(self.rng.uniform(4, 8))
        hang.close()
        restart(self.world.sf.start)

    def _settling(self) -> Drop | None:
        """A good file still settling at its source (seen or not yet, not ready to run)."""
        statuses = ledger_statuses(self.world)
        with self.lock:
            candidates = [d for d in self.drops[-40:] if not d.bad and len(d.names) < 4
                          and statuses.get(f"{d.source}/{d.name}", "discovered") == "discovered"]
        return self.rng.choice(candidates) if candidates else None

    def rename(self) -> None:
        """Rename a settling file at its source (the old name is superseded)."""
        item = self._settling()
        if item is None:
            return
        new = f"{item.source}_{item.fid:05d}_r{len(item.names)}.csv"
        with self.lock:
            if self.world.rename(item.source, item.name, new):
                item.name = new
                item.names.append(new)
                self.faults["rename"] += 1

    def rewrite(self) -> None:
        """Rewrite a settling file in place with new rows (the old version is superseded)."""
        item = self._settling()
        if item is None:
            return
        with self.lock:
            if not self.world.exists(item.source, item.name):
                return
            item.version += 1
            self.world.put(item.source, item.name, item.content(self.rng, warn=False))
            self.faults["rewrite"] += 1

