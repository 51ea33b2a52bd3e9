"""Discovery: list a source once, record observations in the ledger, decide what is ready."""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pvt_dagster.config import ClientConfig
from pvt_dagster.domain import Status
from pvt_dagster.ledger import FileRecord, NewFile, ObservationRecord
from pvt_dagster.polling.constraints import constraint_violation
from pvt_dagster.polling.matching import match_feed
from pvt_dagster.polling.quiescence import is_quiesced
from pvt_dagster.sources import DeliversWholeFiles, RemoteEntry, Source

if TYPE_CHECKING:
    from pvt_dagster.ledger import Ledger

log = logging.getLogger(__name__)

AWAITING_TRANSFER: tuple[Status, ...] = ("discovered", "on_hold")
UNMATCHED = "matches no feed"
DISAPPEARED = "disappeared from the source before transfer"
_KIND_LABELS = {"symlink": "symlink", "dir": "folder", "fifo": "FIFO", "device": "device",
                "socket": "socket", "unsafe": "unsafe name (no safe path to it)"}


@dataclass
class PollResult:
    """What one poll of one source found."""

    listed: int = 0
    ready: list[FileRecord] = field(default_factory=list)
    waiting: int = 0
    rejected: list[FileRecord] = field(default_factory=list)
    new: list[FileRecord] = field(default_factory=list)


def not_read_reason(kind: str, problem: str | None = None) -> str:
    """The rejection reason of an entry that is not a regular file (with an unsafe name's
    problem when the source told it)."""
    if kind == "unsafe" and problem:
        return f"unsafe name ({problem}): not read"
    return f"{_KIND_LABELS.get(kind, 'not a regular file')}: not read"


def awaiting_transfer(record: FileRecord) -> bool:
    """Whether the file's bytes have not been taken from the source yet."""
    return record.status in AWAITING_TRANSFER and record.received_at is None


def observe(prev: ObservationRecord | None, entry: RemoteEntry, client: str, source: str,
            now: datetime) -> ObservationRecord:
    """The next observation of an entry: same size/mtime counts up (to 2: "settled"; then
    it is left as is), a change starts over."""
    if prev is None or prev.gone_at is not None:
        return ObservationRecord(
            client=client, source=source, path=entry.path, name=entry.name, size=entry.size,
            mtime=entry.mtime, kind=entry.kind, first_seen_at=now, stable_since=now,
            seen_count=1, last_seen_at=now, gone_at=None, file_key=None,
        )
    if (prev.size, prev.mtime, prev.kind) == (entry.size, entry.mtime, entry.kind):
        if prev.seen_count >= 2 and prev.name == entry.name:
            return prev  # settled: nothing to write (a steady poll of 10,000 files writes 0)
        return dataclasses.replace(prev, name=entry.name, seen_count=prev.seen_count + 1,
                                   last_seen_at=now)
    return dataclasses.replace(prev, name=entry.name, size=entry.size, mtime=entry.mtime,
                               kind=entry.kind, stable_since=now, seen_count=1,
                               last_seen_at=now)


class _Poll:
    """The state of one poll of one source."""

    def __init__(self, ledger: Ledger, client: str, config: ClientConfig, source: str,
                 now: datetime, *, whole_files: bool = False) -> None:
        self.ledger, self.client, self.config = ledger, client, config
        self.source, self.now = source, now
        self.whole_files = whole_files  # listed files are complete: no need to settle
        self.unmatched = config.sources[source].unmatched if source in config.sources else "report"
        self.result = PollResult()
        self.observations: dict[str, ObservationRecord] = {}
        self.pending: list[NewFile] = []

    def create(self, entry: RemoteEntry, obs: ObservationRecord, feed: str | None,
               status: Status, error: str | None = None) -> None:
        """Queue a new file row for the entry; ``create_pending`` writes them in one go."""
        self.pending.append(NewFile(
            client=self.client, feed=feed, source=self.source, name=entry.name,
            path=entry.path, size=entry.size, mtime=entry.mtime, first_seen=self.now,
            status=status, error=error, observation=obs))

    def create_pending(self) -> None:
        """Write every queued new file (one transaction), link observations, report refusals."""
        for spec, record in zip(self.pending, self.ledger.create_files(self.pending),
                                strict=True):
            assert spec.observation is not None
            self.observations[spec.path] = dataclasses.replace(spec.observation,
                                                               file_key=record.key)
            (self.result.new if spec.status == "discovered" else self.result.rejected
             ).append(record)
            if spec.status == "rejected":
                self.report(record, spec.error or "rejected")
        self.pending.clear()

    def report(self, record: FileRecord, reason: str) -> None:
        """An outbox message for a refused file (its original name in repr: it is untrusted)."""
        log.warning("%s rejected and left at the source: %s", record.key, reason)
        self.ledger.record_message(
            dedupe_key=f"{record.key}:rejected", client=self.client, feed=record.feed,
            file_key=record.key, stage="discovery", kind="rejected", severity="warning",
            text=f"{record.key}: {record.name[:200]!r} was rejected and left at the source: "
                 f"{reason}",
            details={"source": self.source, "reason": reason})

    def reject(self, record: FileRecord, reason: str) -> None:
        """Refuse a file that has not been transferred yet (no-op if it moved on meanwhile)."""
        done = self.ledger.transition_file(record.key, from_status=AWAITING_TRANSFER,
                                           status="rejected", error=reason)
        if done is not None:
            self.result.rejected.append(done)
            self.report(done, reason)

    def first_sight(self, entry: RemoteEntry, obs: ObservationRecord, feed: str | None) -> None:
        """An entry with no file yet (or whose rejection no longer applies)."""
        if not entry.is_regular_file:
            if feed is None and self.unmatched == "ignore":
                self.observations[entry.path] = obs
            else:
                self.create(entry, obs, feed, "rejected",
                            not_read_reason(entry.kind, entry.problem))
        elif feed is None:
            if self.unmatched == "ignore":
                self.observations[entry.path] = obs
            else:
                self.create(entry, obs, None, "rejected", UNMATCHED)
        else:
            self.create(entry, obs, feed, "discovered")

    def seen(self, entry: RemoteEntry, prev: ObservationRecord | None,
             linked: FileRecord | None) -> None:
        """Apply the polling rules to one listed entry."""
        obs = observe(prev, entry, self.client, self.source, self.now)
        feed = match_feed(entry.name, self.config.feeds, self.source)
        if obs.file_key is None or linked is None:
            self.first_sight(entry, obs if obs.file_key is None
                             else dataclasses.replace(obs, file_key=None), feed)
            return
        self.observations[entry.path] = obs
        kind_changed = prev is not None and prev.kind != entry.kind
        if awaiting_transfer(linked):
            if not entry.is_regular_file:
                self.reject(linked, not_read_reason(entry.kind, entry.problem))
            elif (linked.size, linked.mtime) != (entry.size, entry.mtime):
                self.ledger.update_file(linked.key, size=entry.size, mtime=entry.mtime)
        elif not entry.is_regular_file:
            if kind_changed:  # a file was replaced by a symlink or the like: refuse it once
                self.first_sight(entry, obs, feed)
        elif linked.feed is None or kind_changed:
            # Recorded once as unmatched (or unsafe); a feed that now matches picks it up.
            if feed is not None or kind_changed:
                self.first_sight(entry, obs, feed)
        elif (linked.size, linked.mtime) != (entry.size, entry.mtime):
            self.first_sight(entry, obs, feed)  # changed after ingestion: a new delivery

    def vanished(self, prev: ObservationRecord, linked: FileRecord | None) -> None:
        """An entry no longer listed: note it gone; refuse its file if not yet transferred."""
        self.observations[prev.path] = dataclasses.replace(prev, gone_at=self.now)
        if linked is not None and awaiting_transfer(linked):
            self.reject(linked, DISAPPEARED)

    def readiness(self) -> None:
        """Split this source's discovered files into ready, rejected and waiting."""
        candidates: dict[str, list[FileRecord]] = defaultdict(list)
        quiesce = self.config.polling.quiesce_seconds
        for record in self.ledger.list_files(client=self.client, source=self.source,
                                             status="discovered"):
            obs = self.observations.get(record.path)
            if obs is None or obs.file_key != record.key or obs.gone_at is not None:
                self.result.waiting += 1
                continue
            if not self.whole_files and not is_quiesced(
                    stable_since=obs.stable_since, seen_count=obs.seen_count, now=self.now,
                    quiesce_seconds=quiesce):
                self.result.waiting += 1
                continue
            feed = self.config.feeds.get(record.feed or "")
            if feed is None:
                self.reject(record, f"feed {record.feed!r} is no longer configured")
                continue
            constraints = self.config.feed_constraints(feed)
            reason = constraint_violation(record.size, record.name, constraints)
            if reason is not None:
                self.reject(record, reason)
                continue
            candidates[record.feed or ""].append(record)
        for feed_name, records in candidates.items():
            limit = self.config.feed_constraints(self.config.feeds[feed_name]).max_files_per_poll
            chosen = records if limit is None else records[:limit]
            self.result.ready += chosen
            self.result.waiting += len(records) - len(chosen)


def _unique(entries: Iterable[RemoteEntry]) -> list[RemoteEntry]:
    by_path: dict[str, RemoteEntry] = {}
    for entry in entries:
        by_path.setdefault(entry.path, entry)
    return [by_path[p] for p in sorted(by_path)]


def poll_source(*, ledger: Ledger, client: str, client_config: ClientConfig, source_name: str,
                source: Source, now: datetime) -> PollResult:
    """List a source once and apply the polling rules; the ledger keeps every observation.
    Files of a source that delivers whole files (a push area) are ready when first seen."""
    # The ledger's one read of the source's observations runs while the source lists (the
    # listing waits on the network, the read on the database): a big folder pays for one.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pvt-poll") as pool:
        reading = pool.submit(ledger.observations, client, source_name, listed_only=True)
        entries = _unique(source.list_entries())
        previous = reading.result()
    whole = isinstance(source, DeliversWholeFiles) and source.delivers_whole_files
    poll = _Poll(ledger, client, client_config, source_name, now, whole_files=whole)
    poll.result.listed = len(entries)
    linked_keys = {o.file_key for o in previous.values() if o.file_key}
    linked = ledger.files_by_key(linked_keys)
    listed_paths = set()
    for entry in entries:
        listed_paths.add(entry.path)
        prev = previous.get(entry.path)
        poll.seen(entry, prev, linked.get(prev.file_key) if prev and prev.file_key else None)
    for path, prev in previous.items():
        if path not in listed_paths and prev.gone_at is None:
            poll.vanished(prev, linked.get(prev.file_key) if prev.file_key else None)
    poll.create_pending()
    ledger.save_observations(obs for path, obs in poll.observations.items()
                             if obs is not previous.get(path))  # observe keeps a settled one
    poll.readiness()
    return poll.result
