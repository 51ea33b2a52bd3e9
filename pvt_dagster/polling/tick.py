"""One discovery tick of one source, as plain Python: poll it, record a failed poll (message,
error registry, holds after repeated failures), let the ready files of held feeds wait, and
say which files should run now. The Dagster sensor only turns the result into run requests,
partitions, observations and log lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pvt_dagster.config import ClientConfig
from pvt_dagster.domain import Status
from pvt_dagster.errors import PvtError, one_line
from pvt_dagster.ledger import FileRecord, HoldRecord, Ledger
from pvt_dagster.polling.discovery import PollResult, poll_source
from pvt_dagster.sources import Source
from pvt_dagster.tracking import discovery_failed, discovery_succeeded, hold_file
from pvt_dagster.transport import CleanupResult, clean_up, received_entry, unfinished_cleanups


@dataclass(frozen=True)
class HeldFeed:
    """A feed on hold: the hold, how many of its files wait, and which started to wait now."""

    feed: str
    hold: HoldRecord
    waiting: int
    newly_held: tuple[str, ...]

    def summary(self, client: str) -> str:
        """One line for the tick's skip reason."""
        return (f"{client}/{self.feed} since {self.hold.placed_at:%Y-%m-%d %H:%M}Z "
                f"({self.hold.reason}), release with `pvt holds release {client}/{self.feed}`")


#: Statuses of a file that is not finished: a run must still take it further.
UNFINISHED: tuple[Status, ...] = ("discovered", "received", "decrypted", "validated", "scrubbed")


@dataclass(frozen=True)
class LastRun:
    """What the orchestrator says of the latest run of a file: its run key (None for a run
    not started by discovery), whether it is over, and when it ended."""

    run_id: str
    run_key: str | None
    ended_at: datetime | None  # None while queued or running


def current_run_key(record: FileRecord) -> str:
    """The run key of a file's current attempt: its key, or ``key#n`` after a reset."""
    return record.key if record.run_seq == 0 else f"{record.key}#{record.run_seq}"


@dataclass
class DiscoveryTick:
    """What one tick of a source did: the files to run, the feeds on hold, or why the source
    could not be polled (and the holds that placed)."""

    client: str
    source: str
    polled: PollResult | None = None
    error: str | None = None
    holds_placed: list[HoldRecord] = field(default_factory=list)
    to_run: list[FileRecord] = field(default_factory=list)
    held: list[HeldFeed] = field(default_factory=list)
    retried: list[FileRecord] = field(default_factory=list)   # stranded, run again
    cleaned_up: list[CleanupResult] = field(default_factory=list)  # finished late at the source
    given_up: list[FileRecord] = field(default_factory=list)  # stranded too often: failed

    def summary(self) -> str:
        """One line: what was listed, what waits, what is ready, and the feeds on hold."""
        if self.error is not None or self.polled is None:
            return f"source {self.client}/{self.source}: {self.error}"
        p = self.polled
        line = (f"listed {p.listed}, new {len(p.new)}, waiting {p.waiting}, "
                f"ready {len(p.ready)}, rejected {len(p.rejected)}")
        if self.cleaned_up:
            done = sum(1 for c in self.cleaned_up if c.state == "done")
            line += f"; clean-up at the source finished for {done} of {len(self.cleaned_up)}"
        if self.retried or self.given_up:
            line += (f"; stranded: {len(self.retried)} run again, "
                     f"{len(self.given_up)} failed after too many tries")
        if self.held:
            line += "; ON HOLD: " + "; ".join(h.summary(self.client) for h in self.held)
        return line


def discovery_tick(ledger: Ledger, client: str, client_config: ClientConfig, source_name: str,
                   feeds: Sequence[str], open_source: Callable[[], Source], *, now: datetime,
                   tick: str,
                   last_runs: Callable[[Sequence[FileRecord]], dict[str, LastRun]] | None = None,
                   ) -> DiscoveryTick:
    """Poll ``source_name`` for ``feeds`` and decide what runs: ready files, and files whose
    last run ended without finishing them (``last_runs`` asks the orchestrator). Never raises
    for a source that cannot be polled (the result says why, and the failure is recorded)."""
    result = DiscoveryTick(client, source_name)
    try:
        source = open_source()
        try:
            result.polled = poll_source(ledger=ledger, client=client,
                                        client_config=client_config, source_name=source_name,
                                        source=source, now=now)
            result.cleaned_up = _finish_cleanups(ledger, client, client_config, source_name,
                                                 source, now=now, tick=tick)
        finally:
            source.close()
    except PvtError as exc:
        result.error = one_line(exc)
        ledger.record_message(
            dedupe_key=f"source:{client}/{source_name}:{result.error}", client=client,
            feed=None, file_key=None, stage="discovery", kind="source_unavailable",
            severity="failure", text=f"source {client}/{source_name} is not polled: "
                                     f"{result.error}")
        result.holds_placed = discovery_failed(ledger, client, source_name, list(feeds), exc,
                                               result.error, tick=tick)
        return result
    discovery_succeeded(ledger, client, source_name, tick=tick)
    holds = {h.feed: h for h in ledger.active_holds(client) if h.feed in feeds}
    if last_runs is not None:
        _recover_stranded(ledger, result, client_config, source_name, feeds, holds, last_runs,
                          now)
    handled = {r.key for r in (*result.retried, *result.given_up)}
    newly_held: dict[str, list[str]] = {name: [] for name in holds}
    for record in result.polled.ready:
        if record.key in handled:
            continue
        if record.feed is None or record.feed not in feeds:
            continue
        if record.feed in holds:  # observed and recorded, but no run until released
            if hold_file(ledger, record, holds[record.feed]) is not None:
                newly_held[record.feed].append(record.key)
            continue
        result.to_run.append(record)
    for name, hold in sorted(holds.items()):
        waiting = len(ledger.list_files(client=client, feed=name, status="on_hold"))
        result.held.append(HeldFeed(name, hold, waiting, tuple(newly_held[name])))
    return result


def _recover_stranded(ledger: Ledger, result: DiscoveryTick, client_config: ClientConfig,
                      source_name: str, feeds: Sequence[str], holds: dict[str, HoldRecord],
                      last_runs: Callable[[Sequence[FileRecord]], dict[str, LastRun]],
                      now: datetime) -> None:
    """Run again (fresh run key) each unfinished file of this source whose last run ended
    more than the grace period ago without finishing it; fail it after too many tries."""
    policy = client_config.recovery
    grace = timedelta(seconds=policy.grace_seconds)
    candidates = [r for r in ledger.list_files(client=result.client, source=source_name,
                                               status=UNFINISHED)
                  if r.feed in feeds and r.feed not in holds and r.updated_at <= now - grace]
    if not candidates:
        return
    runs = last_runs(candidates)
    for record in candidates:
        last = runs.get(record.key)
        if last is None or last.ended_at is None or last.ended_at > now - grace:
            continue  # never run (the ready path runs it), still running, or just ended
        if record.status == "discovered" and last.run_key != current_run_key(record):
            continue  # its current run key is unused: the ready path requests it
        if record.auto_retries >= policy.max_retries:
            result.given_up.append(_give_up(ledger, record, last))
            continue
        again = ledger.update_file(record.key, run_seq=record.run_seq + 1,
                                   auto_retries=record.auto_retries + 1)
        ledger.record_operator_action(
            action="auto_retry", target=record.key, user="discovery",
            details={"after_run": last.run_id, "status": record.status,
                     "retry": again.auto_retries, "of": policy.max_retries})
        result.retried.append(again)
        result.to_run.append(again)


def _give_up(ledger: Ledger, record: FileRecord, last: LastRun) -> FileRecord:
    """Fail a file whose runs kept ending without finishing it, and say so."""
    error = (f"its runs ended {record.auto_retries + 1} times without finishing it (last run "
             f"{last.run_id}, at {record.status}); replay it once the cause is fixed")
    failed = ledger.update_file(record.key, status="failed", error=error)
    ledger.record_message(
        dedupe_key=f"{record.key}:stranded:{last.run_id}", client=record.client,
        feed=record.feed, file_key=record.key, stage=record.stage, kind="stranded",
        severity="failure", text=f"{record.key} failed: {error}",
        details={"run_id": last.run_id, "auto_retries": record.auto_retries})
    return failed


def _finish_cleanups(ledger: Ledger, client: str, client_config: ClientConfig, source_name: str,
                     source: Source, *, now: datetime, tick: str) -> list[CleanupResult]:
    """Finish the clean-up at the source of received files whose run could not (it was
    killed between receiving and deleting, or the server refused the delete)."""
    policy = client_config.sources[source_name].after_transfer
    done = []
    for record in unfinished_cleanups(ledger, client, source_name, now=now,
                                      grace_seconds=client_config.recovery.grace_seconds):
        done.append(clean_up(ledger, record.key, source, received_entry(record, record.path),
                             policy, run_id=tick))
    return done
