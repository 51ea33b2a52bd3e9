"""One discovery sensor per source. The tick itself is plain Python (``polling.
discovery_tick``: poll, record, holds); the sensor turns its result into Dagster objects: run
requests for ready files (``run_key`` = the file's current run key, so Dagster deduplicates; a
batch run for several ready files of a lane when the feed's ``batch_size`` allows),
partitions for new keys, observations on a held feed's ``raw`` asset, and the tick's log and
skip reason."""


import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.batch import batch_files_of, batch_run_config
from pvt_dagster.defs.metrics import hold_observation
from pvt_dagster.defs.names import (
    PARTITION_TAG,
    RUN_KEY_TAG,
    TAG_BATCH,
    TAG_CLIENT,
    TAG_FEED,
    batch_job_name,
    discovery_sensor_name,
    feed_lane,
    job_name,
    partitions_name,
    run_file_key,
    run_tags,
)
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import translated_errors
from pvt_dagster.ledger import FileRecord
from pvt_dagster.naming import partition_key
from pvt_dagster.pipeline import utcnow
from pvt_dagster.polling import DiscoveryTick, HeldFeed, LastRun, current_run_key, discovery_tick


def build_discovery_sensor(client: str, source_name: str, feeds: list[FeedRef],
                           interval_seconds: int,
                           jobs: list[dg.JobDefinition]) -> dg.SensorDefinition:
    """The sensor that polls ``client``'s source ``source_name`` for the given feeds."""
    by_feed = {feed.name: feed for feed in feeds}

    @dg.sensor(
        name=discovery_sensor_name(client, source_name),
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        jobs=jobs or None,
        description=f"Polls {client}'s source {source_name}, waits for files to settle, and "
                    f"starts one run per file, or per batch for a feed with batch_size > 1 "
                    f"(feeds: {', '.join(by_feed) or 'none'}).",
    )
    def discover(context: dg.SensorEvaluationContext,
                 pvt: PvtIntakeResource) -> dg.SensorResult | dg.SkipReason:
        """Discover and request runs for ready files (none for a feed on hold)."""
        intake = pvt.get()
        now = utcnow()
        with translated_errors(discovery_sensor_name(client, source_name)):
            tick = discovery_tick(intake.ledger, client, intake.config.clients[client],
                                  source_name, list(by_feed),
                                  lambda: intake.source(client, source_name), now=now,
                                  tick=f"tick-{now:%Y%m%dT%H%M%S%fZ}",
                                  last_runs=lambda files: last_runs(context.instance, files))
        if tick.error is not None:
            context.log.warning(f"{client}/{source_name}: {tick.error}")
            for hold in tick.holds_placed:
                context.log.warning(f"feed {client}/{hold.feed} is on hold: {hold.reason}")
            return dg.SkipReason(tick.summary())
        context.log.info(f"{client}/{source_name}: {tick.summary()}")
        for record in tick.retried:
            context.log.warning(f"{record.key}: its last run ended at {record.status} without "
                                f"finishing it; running it again ({record.auto_retries})")
        for record in tick.given_up:
            context.log.error(f"{record.key}: failed, {record.error}")
        requests, keys_by_feed = run_requests(context.instance, by_feed, tick.to_run)
        # Added here, in one query per feed, rather than as the result's
        # dynamic_partitions_requests: the daemon checks those one key at a time (a
        # connection each on PostgreSQL: 1.4 s for 100 new files). Idempotent.
        for name, keys in keys_by_feed.items():
            context.instance.add_dynamic_partitions(name, keys)
        events, cursor = _hold_events(context, tick)
        return dg.SensorResult(
            run_requests=requests,
            skip_reason=None if requests else dg.SkipReason(tick.summary()),
            asset_events=events, cursor=cursor,
        )

    return discover


def run_requests(instance: dg.DagsterInstance, by_feed: Mapping[str, FeedRef],
                 to_run: Sequence[FileRecord],
                 ) -> tuple[list[dg.RunRequest], dict[str, list[str]]]:
    """The runs for the tick's ready files (a run per file, or per batch of a lane's files
    for a feed with ``batch_size`` > 1), and the new partitions by feed. A file whose current
    run key a run already took (a batch run still queued) is left out."""
    keys_by_feed: dict[str, list[str]] = {}
    lanes: dict[tuple[str, str], list[FileRecord]] = {}
    for record in to_run:
        feed = by_feed[record.feed or ""]
        keys_by_feed.setdefault(partitions_name(feed), []).append(partition_key(record.key))
        lanes.setdefault((feed.name, feed_lane(feed, record.key)), []).append(record)
    if not to_run:
        return [], keys_by_feed
    batching = any(by_feed[name].config.batch_size > 1 and len(records) > 1
                   for (name, _), records in lanes.items())
    taken = taken_run_keys(instance, to_run, per_file=batching)
    requests = []
    for (name, _), records in lanes.items():
        feed = by_feed[name]
        free = [r for r in records if current_run_key(r) not in taken.get(r.key, ())]
        size = feed.config.batch_size
        for i in range(0, len(free), size):
            chunk = free[i:i + size]
            requests.append(_file_request(feed, chunk[0]) if len(chunk) == 1
                            else _batch_request(feed, chunk))
    return requests, keys_by_feed


def _file_request(feed: FeedRef, record: FileRecord) -> dg.RunRequest:
    """The run of one file (``run_key``: its current run key, so Dagster deduplicates)."""
    return dg.RunRequest(job_name=job_name(feed), partition_key=partition_key(record.key),
                         run_key=current_run_key(record), tags=run_tags(feed, record.key))


def _batch_request(feed: FeedRef, records: Sequence[FileRecord]) -> dg.RunRequest:
    """The run of a batch of one lane's files (its run key a digest of theirs)."""
    files = [r.key for r in records]
    run_keys = [current_run_key(r) for r in records]
    digest = hashlib.sha256("\n".join(run_keys).encode()).hexdigest()[:24]
    lane = feed_lane(feed, files[0])
    return dg.RunRequest(job_name=batch_job_name(feed), run_key=f"batch:{lane}:{digest}",
                         run_config=batch_run_config(feed, files, run_keys),
                         tags={TAG_FEED: lane, TAG_CLIENT: feed.client,
                               TAG_BATCH: feed.qualified_name})


@dataclass(frozen=True)
class _FileRun:
    """A run that took a file: when it was created, and what the tick needs of it."""

    created: float
    run: LastRun


def last_runs(instance: dg.DagsterInstance,
              files: Sequence[FileRecord]) -> dict[str, LastRun]:
    """The latest run of each file (its own run, any job, any origin, or a batch run that
    took it), as the tick needs it."""
    return {key: max(runs, key=lambda r: r.created).run
            for key, runs in _file_runs(instance, files, per_file=True).items()}


def taken_run_keys(instance: dg.DagsterInstance, files: Sequence[FileRecord], *,
                   per_file: bool) -> dict[str, set[str]]:
    """The run keys runs have taken for each file: batch runs' always, runs of the file's
    own partition only when ``per_file`` (Dagster itself deduplicates those by run key)."""
    taken: dict[str, set[str]] = {}
    for key, runs in _file_runs(instance, files, per_file=per_file).items():
        taken[key] = {r.run.run_key for r in runs if r.run.run_key is not None}
    return taken


def _file_runs(instance: dg.DagsterInstance, files: Sequence[FileRecord], *,
               per_file: bool) -> dict[str, list[_FileRun]]:
    """Every run that took one of ``files``: runs tagged with its partition (``per_file``)
    and the feeds' batch runs created since the first of them was discovered."""
    if not files:
        return {}
    records: list[dg.RunRecord] = []
    if per_file:
        partitions = sorted({partition_key(f.key) for f in files})
        for i in range(0, len(partitions), 200):
            records += instance.get_run_records(
                filters=dg.RunsFilter(tags={PARTITION_TAG: partitions[i:i + 200]}))
    feeds = sorted({f"{f.client}/{f.feed}" for f in files if f.feed})
    since = min(f.discovered_at for f in files) - timedelta(minutes=5)  # clocks may differ
    records += instance.get_run_records(
        filters=dg.RunsFilter(tags={TAG_BATCH: feeds}, created_after=since))
    wanted = {f.key for f in files}
    found: dict[str, list[_FileRun]] = {}
    for record in records:
        run = record.dagster_run
        own = run_file_key(run.tags)
        pairs: list[tuple[str, str | None]] = [*batch_files_of(run)] or (
            [(own, run.tags.get(RUN_KEY_TAG))] if own else [])
        for key, run_key in pairs:
            if key in wanted:
                found.setdefault(key, []).append(_FileRun(
                    record.create_timestamp.timestamp(),
                    LastRun(run.run_id, run_key, _ended_at(record))))
    return found


def _ended_at(record: dg.RunRecord) -> datetime | None:
    """When a run ended (None while queued or running)."""
    run = record.dagster_run
    if not run.is_finished:
        return None
    if record.end_time is not None:
        return datetime.fromtimestamp(record.end_time, UTC)
    return record.update_timestamp.astimezone(UTC)


def _hold_events(context: dg.SensorEvaluationContext, tick: DiscoveryTick,
                 ) -> tuple[list[dg.AssetObservation], str]:
    """Observations telling the UI about a hold (once per hold, and when files start to wait),
    with warnings in the tick's log; the cursor remembers the holds already shown."""
    shown = set(filter(None, (context.cursor or "").split(",")))
    events = []
    for held in tick.held:
        if str(held.hold.id) in shown and not held.newly_held:
            continue
        context.log.warning(_hold_line(tick.client, held))
        events.append(hold_observation(tick.client, held.feed, held.hold,
                                       waiting=held.waiting, newly_held=len(held.newly_held)))
    return events, ",".join(sorted(str(h.hold.id) for h in tick.held))


def _hold_line(client: str, held: HeldFeed) -> str:
    """The tick's warning about a feed on hold."""
    return (f"feed {client}/{held.feed} is on hold ({held.hold.reason}); {held.waiting} "
            f"file(s) wait; release with `pvt holds release {client}/{held.feed}`")
