"""Process runs of the pipeline stages and of discovery, with the error registry: every stage
attempt is a process run (``running``, then ``completed`` or ``failed``), every error is
registered with its class, category, stage, file, run and time."""

from __future__ import annotations

import getpass
import logging
import re
from dataclasses import dataclass
from datetime import datetime

from pvt_dagster.domain import Stage
from pvt_dagster.errors import PvtError
from pvt_dagster.ledger import HoldRecord, Ledger, ProcessRunRecord
from pvt_dagster.tracking.classify import OPERATIONAL, categorize, counts_towards_hold
from pvt_dagster.tracking.holds import (
    check_feed,
    last_release,
    place_hold,
    source_streak,
    threshold,
)
from pvt_dagster.tracking.metrics import add_stage_metrics
from pvt_dagster.tracking.registry import (
    DISCOVER,
    default_fields,
    discovery_process_name,
    stage_process_name,
)

log = logging.getLogger("pvt_dagster.tracking")
_DAGSTER_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def actor_of(run_id: str) -> str:
    """Who started a run: ``dagster`` for a Dagster run id, else ``pvt:<user>``."""
    if _DAGSTER_RUN_ID.match(run_id):
        return "dagster"
    try:
        return f"pvt:{getpass.getuser()}"
    except (KeyError, OSError):
        return "pvt"


@dataclass
class TrackedStage:
    """One stage attempt of one file, as a process run (a no-op for files of no feed)."""

    ledger: Ledger
    key: str
    stage: Stage
    run_id: str
    client: str
    feed: str | None
    run: ProcessRunRecord | None = None

    def completed(self, started: datetime, *, bytes_: int | None = None,
                  rows: int | None = None) -> None:
        """The stage succeeded: close its run and complete its metrics in the file's row."""
        try:
            if self.run is not None:
                self.run = self.ledger.finish_process_run(self.run.id, status="completed")
            add_stage_metrics(self.ledger, self.key, self.stage, started,
                              bytes_=bytes_, rows=rows)
        except PvtError as exc:  # tracking must never fail a stage that succeeded
            log.warning("process run of %s %s not recorded: %s", self.key, self.stage,
                        type(exc).__name__)

    def failed(self, exc: BaseException, error: str | None) -> HoldRecord | None:
        """The stage failed: register the error, close the run, and hold the feed if this
        was one operational failure too many; the hold placed, if any."""
        try:
            return self._failed(exc, error)
        except PvtError as exc2:  # never hide the stage's own error behind ours
            log.warning("failure of %s %s not tracked: %s", self.key, self.stage,
                        type(exc2).__name__)
            return None

    def ended_without_output(self, error_class: str, category: str, reason: str) -> None:
        """The stage ended without its output for a reason that is not its own failure (a
        refused, waiting or blocked file): registered, never counted towards a hold."""
        try:
            self._register(error_class, category, reason)
        except PvtError as exc:
            log.warning("outcome of %s %s not tracked: %s", self.key, self.stage,
                        type(exc).__name__)

    def _failed(self, exc: BaseException, error: str | None) -> HoldRecord | None:
        category = categorize(exc)
        if not self._register(type(exc).__name__, category, error or type(exc).__name__):
            return None
        if not counts_towards_hold(category):
            return None
        assert self.feed is not None
        return check_feed(self.ledger, self.client, self.feed)

    def _register(self, name: str, category: str, error: str) -> bool:
        """Register the error and close the process run as failed; whether there was one."""
        self.ledger.record_error(error_class=name, category=category, message=error,
                                 client=self.client, feed=self.feed, stage=self.stage,
                                 file_key=self.key, run_id=self.run_id)
        if self.run is None or self.feed is None:
            return False
        self.run = self.ledger.finish_process_run(
            self.run.id, status="failed", category=category, error_class=name, error=error)
        return True


def track_stage(ledger: Ledger, key: str, *, stage: Stage, run_id: str) -> TrackedStage:
    """Start the process run of one stage of one file."""
    record = ledger.get_file(key)
    tracked = TrackedStage(ledger, key, stage, run_id, record.client, record.feed)
    if record.feed is not None:
        tracked.run = ledger.start_process_run(
            stage_process_name(record.client, record.feed, stage),
            default_fields(record.client, record.feed, stage), run_id=run_id, file_key=key,
            actor=actor_of(run_id))
    return tracked


def discovery_failed(ledger: Ledger, client: str, source: str, feeds: list[str],
                     exc: BaseException, error: str, *, tick: str) -> list[HoldRecord]:
    """A poll of a source failed: register it, and hold each of its feeds whose source has
    now failed ``max_consecutive_failures`` polls in a row (counted since its last release)."""
    name = discovery_process_name(client, source)
    ledger.record_error(error_class=type(exc).__name__, category=OPERATIONAL, message=error,
                        client=client, stage="discovery", run_id=tick)
    run = ledger.start_process_run(name, default_fields(client, None, DISCOVER),
                                   run_id=tick, file_key=None, actor="discovery")
    ledger.finish_process_run(run.id, status="failed", category=OPERATIONAL,
                              error_class=type(exc).__name__, error=error)
    placed = []
    for feed in feeds:
        streak = source_streak(ledger, name, last_release(ledger, client, feed))
        if streak.failures >= threshold(ledger, client, feed):
            hold = place_hold(ledger, client, feed, streak, cause=f"polls of {client}/{source}")
            if hold is not None:
                placed.append(hold)
    return placed


def discovery_succeeded(ledger: Ledger, client: str, source: str, *, tick: str,
                        now: datetime | None = None) -> None:
    """A poll succeeded: recorded only after failed ones, which it ends (a steady source
    writes no process runs)."""
    name = discovery_process_name(client, source)
    latest = ledger.process_runs(process=name, limit=1)
    if latest and latest[0].status == "failed":
        run = ledger.start_process_run(name, default_fields(client, None, DISCOVER),
                                       run_id=tick, file_key=None, actor="discovery", at=now)
        ledger.finish_process_run(run.id, status="completed")
        log.info("source %s/%s answers again", client, source)
