"""One discovery sensor per source. The tick itself is plain Python (``polling.
discovery_tick``: poll, record, holds); the sensor turns its result into Dagster objects: run
requests for ready files (``run_key`` = file key, so Dagster deduplicates), partitions for new
keys, observations on a held feed's ``raw`` asset, and the tick's log and skip reason."""


from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.metrics import hold_observation
from pvt_dagster.defs.names import (
    PARTITION_TAG,
    RUN_KEY_TAG,
    discovery_sensor_name,
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
                    f"starts one run per file (feeds: {', '.join(by_feed) or 'none'}).",
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
        keys_by_feed: dict[str, list[str]] = {}
        requests = []
        for record in tick.to_run:
            feed = by_feed[record.feed or ""]
            partition = partition_key(record.key)
            keys_by_feed.setdefault(partitions_name(feed), []).append(partition)
            requests.append(dg.RunRequest(
                job_name=job_name(feed), partition_key=partition,
                run_key=current_run_key(record), tags=run_tags(feed, record.key)))
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


def last_runs(instance: dg.DagsterInstance,
              files: Sequence[FileRecord]) -> dict[str, LastRun]:
    """The latest run of each file's partition (any job, any origin), as the tick needs it."""
    found: dict[str, LastRun] = {}
    partitions = sorted({partition_key(f.key) for f in files})
    wanted = {f.key for f in files}
    for i in range(0, len(partitions), 200):
        records = instance.get_run_records(
            filters=dg.RunsFilter(tags={PARTITION_TAG: partitions[i:i + 200]}))
        for record in records:  # newest first
            run = record.dagster_run
            key = run_file_key(run.tags)
            if key is None or key not in wanted or key in found:
                continue
            ended = (datetime.fromtimestamp(record.end_time, UTC)
                     if run.is_finished and record.end_time is not None else None)
            if run.is_finished and ended is None:
                ended = record.update_timestamp.astimezone(UTC)
            found[key] = LastRun(run.run_id, run.tags.get(RUN_KEY_TAG), ended)
    return found


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
