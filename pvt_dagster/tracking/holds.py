"""Holds: after ``max_consecutive_failures`` operational failures of a feed (its file runs, or
its source's polls), the feed goes on hold; its files wait (status ``on_hold``) until an
operator releases it, and then run with a fresh run key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pvt_dagster.ledger import FileRecord, HoldRecord, Ledger, ProcessRunRecord
from pvt_dagster.tracking.classify import counts_towards_hold
from pvt_dagster.tracking.registry import (
    DEFAULT_MAX_FAILURES,
    DISCOVER,
    default_fields,
    stage_process_name,
)

log = logging.getLogger("pvt_dagster.tracking")
_WINDOW = 1000  # process runs looked at per decision (newest first)


@dataclass(frozen=True)
class Streak:
    """Consecutive operational failures, newest first, and the last error seen."""

    failures: int
    last_error: str | None
    runs: list[str]


def last_release(ledger: Ledger, client: str, feed: str) -> datetime | None:
    """When the feed's latest hold was released (failures before it no longer count)."""
    for hold in ledger.holds(client=client, feed=feed):
        if hold.released_at is not None:
            return hold.released_at
    return None


def _streak(runs: list[ProcessRunRecord], since: datetime | None, *, by_file: bool) -> Streak:
    """Leading failed attempts among finished runs (grouped per run and file for stages)."""
    outcomes: dict[tuple[str, str | None], ProcessRunRecord | None] = {}
    for run in runs:  # newest first
        if since is not None and run.started_at < since:
            break
        if run.status not in ("completed", "failed"):
            continue
        group = (run.run_id, run.file_key if by_file else str(run.id))
        failed = run.status == "failed" and counts_towards_hold(run.category)
        if group not in outcomes or failed:
            outcomes[group] = run if failed else outcomes.get(group)
    failures, last, names = 0, None, []
    for failed_run in outcomes.values():
        if failed_run is None:
            break
        failures += 1
        last = last or failed_run.error
        names.append(failed_run.run_id)
    return Streak(failures, last, names)


def feed_streak(ledger: Ledger, client: str, feed: str) -> Streak:
    """Consecutive operationally failed file runs of a feed since its last release."""
    runs = [r for r in ledger.process_runs(client=client, feed=feed, limit=_WINDOW)
            if r.stage != DISCOVER]
    return _streak(runs, last_release(ledger, client, feed), by_file=True)


def source_streak(ledger: Ledger, process: str, since: datetime | None) -> Streak:
    """Consecutive failed polls of a source (its discovery process) since ``since``."""
    return _streak(ledger.process_runs(process=process, limit=_WINDOW), since, by_file=False)


def threshold(ledger: Ledger, client: str, feed: str) -> int:
    """The feed's ``max_consecutive_failures`` as the registry holds it."""
    name = stage_process_name(client, feed, "raw")
    for proc in ledger.processes():
        if proc.name == name:
            return proc.max_failures
    return DEFAULT_MAX_FAILURES


def place_hold(ledger: Ledger, client: str, feed: str, streak: Streak, *,
               cause: str) -> HoldRecord | None:
    """Put the feed on hold (once) and queue the one message that says why."""
    reason = (f"{streak.failures} consecutive operational failures ({cause})"
              + (f"; last: {streak.last_error}" if streak.last_error else ""))
    hold, created = ledger.place_hold(client, feed, reason=reason, failures=streak.failures,
                                      details={"runs": streak.runs[:20], "cause": cause})
    if not created:
        return None
    text = (f"feed {client}/{feed} is on hold after {reason}. Its files wait (status on_hold) "
            f"until an operator releases it: `pvt holds release {client}/{feed}` or the "
            "Dagster job pvt__release_hold.")
    ledger.record_message(
        dedupe_key=f"hold:{client}/{feed}:{hold.id}", client=client, feed=feed, file_key=None,
        stage=None, kind="feed_on_hold", severity="failure", text=text,
        details={"hold_id": hold.id, "failures": streak.failures, "cause": cause})
    log.warning("feed %s/%s is on hold: %s", client, feed, reason)
    return hold


def check_feed(ledger: Ledger, client: str, feed: str) -> HoldRecord | None:
    """After a failed file run: put the feed on hold if its streak reached the threshold."""
    streak = feed_streak(ledger, client, feed)
    if streak.failures < threshold(ledger, client, feed):
        return None
    return place_hold(ledger, client, feed, streak, cause="file runs")


def active_hold(ledger: Ledger, client: str, feed: str) -> HoldRecord | None:
    """The feed's active hold, or None."""
    for hold in ledger.active_holds(client):
        if hold.feed == feed:
            return hold
    return None


def hold_file(ledger: Ledger, record: FileRecord, hold: HoldRecord) -> FileRecord | None:
    """A ready file of a held feed waits: status ``on_hold`` and an ``on_hold`` process run
    (None if the file moved on meanwhile)."""
    assert record.feed is not None
    held = ledger.transition_file(record.key, from_status="discovered", status="on_hold",
                                  error=f"feed {record.client}/{record.feed} is on hold "
                                        f"(hold {hold.id})")
    if held is not None:
        ledger.start_process_run(
            stage_process_name(record.client, record.feed, "raw"),
            default_fields(record.client, record.feed, "raw"), run_id=f"hold-{hold.id}",
            file_key=record.key, actor="discovery", status="on_hold")
    return held


@dataclass(frozen=True)
class Released:
    """A released hold and the files that now run."""

    hold: HoldRecord
    files: list[str]


def release(ledger: Ledger, client: str, feed: str, *, user: str,
            note: str | None = None) -> Released:
    """Release a feed's hold (recorded as an operator action with the user); the files that
    waited go back to ``discovered`` with a fresh run key, so the next poll runs them."""
    hold, files = ledger.release_hold(client, feed, user=user, note=note)
    ledger.record_message(
        dedupe_key=f"hold:{client}/{feed}:{hold.id}:released", client=client, feed=feed,
        file_key=None, stage=None, kind="hold_released", severity="information",
        text=f"feed {client}/{feed} was released from hold by {user}; {len(files)} waiting "
             "file(s) will run now.", details={"hold_id": hold.id, "files": len(files)})
    log.info("feed %s/%s released from hold %s by %s (%d files)", client, feed, hold.id, user,
             len(files))
    return Released(hold, files)
