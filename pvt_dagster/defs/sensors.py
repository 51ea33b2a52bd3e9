"""One discovery sensor per source: poll, record observations in the ledger, and request a run
for every quiesced file (the ledger is the truth; Dagster's run keys deduplicate). A feed on
hold gets no runs: its ready files wait as ``on_hold``, the skip reason and an observation on
its ``raw`` asset say why; repeated failed polls put the source's feeds on hold."""


from collections import defaultdict
from typing import TYPE_CHECKING

import dagster as dg

from pvt_dagster.config.models import FeedRef
from pvt_dagster.defs.assets import feed_partitions
from pvt_dagster.defs.metrics import hold_observation
from pvt_dagster.defs.names import (
    discovery_sensor_name,
    job_name,
    partitions_name,
    run_key,
    run_tags,
)
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import PvtError
from pvt_dagster.pipeline.recording import one_line, utcnow
from pvt_dagster.polling import poll_source
from pvt_dagster.tracking import discovery_failed, discovery_succeeded, hold_file

if TYPE_CHECKING:
    from pvt_dagster.defs.jobs import FeedJob
    from pvt_dagster.ledger.tracking import HoldRecord
    from pvt_dagster.pipeline import Intake


def build_discovery_sensor(client: str, source_name: str, feeds: list[FeedRef],
                           interval_seconds: int,
                           jobs: list["FeedJob"]) -> dg.SensorDefinition:
    """The sensor that polls ``client``'s source ``source_name`` for the given feeds."""
    by_feed = {feed.name: feed for feed in feeds}
    partitions = {feed.name: feed_partitions(feed) for feed in feeds}

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
        tick = f"tick-{utcnow():%Y%m%dT%H%M%S%fZ}"
        try:
            source = intake.source(client, source_name)
            try:
                polled = poll_source(ledger=intake.ledger, client=client,
                                     client_config=intake.config.clients[client],
                                     source_name=source_name, source=source, now=utcnow())
            finally:
                source.close()
        except PvtError as exc:
            reason = one_line(exc)
            intake.ledger.record_message(
                dedupe_key=f"source:{client}/{source_name}:{reason}", client=client, feed=None,
                file_key=None, stage="discovery", kind="source_unavailable", severity="failure",
                text=f"source {client}/{source_name} is not polled: {reason}")
            context.log.warning(f"{client}/{source_name}: {reason}")
            placed = discovery_failed(intake.ledger, client, source_name, list(by_feed), exc,
                                      reason, tick=tick)
            for hold in placed:
                context.log.warning(f"feed {client}/{hold.feed} is on hold: {hold.reason}")
            return dg.SkipReason(f"source {client}/{source_name}: {reason}")
        discovery_succeeded(intake.ledger, client, source_name, tick=tick)
        held = {h.feed: h for h in intake.ledger.active_holds(client) if h.feed in by_feed}
        keys_by_feed: dict[str, list[str]] = defaultdict(list)
        waiting: dict[str, list[str]] = defaultdict(list)
        requests = []
        for record in polled.ready:
            if record.feed is None or record.feed not in by_feed:
                continue
            feed = by_feed[record.feed]
            if feed.name in held:  # observed and recorded, but no run until released
                if hold_file(intake.ledger, record, held[feed.name]) is not None:
                    waiting[feed.name].append(record.key)
                continue
            if not context.instance.has_dynamic_partition(partitions_name(feed), record.key):
                keys_by_feed[feed.name].append(record.key)
            requests.append(dg.RunRequest(
                job_name=job_name(feed), partition_key=record.key,
                run_key=run_key(record.key, record.run_seq), tags=run_tags(feed, record.key)))
        summary = (f"listed {polled.listed}, new {len(polled.new)}, waiting {polled.waiting}, "
                   f"ready {len(polled.ready)}, rejected {len(polled.rejected)}")
        context.log.info(f"{client}/{source_name}: {summary}")
        events, cursor = _hold_events(context, intake, held, waiting)
        if held:
            summary += "; ON HOLD: " + "; ".join(
                f"{client}/{name} since {hold.placed_at:%Y-%m-%d %H:%M}Z ({hold.reason}), "
                f"release with `pvt holds release {client}/{name}`"
                for name, hold in sorted(held.items()))
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[partitions[name].build_add_request(keys)
                                         for name, keys in keys_by_feed.items()],
            skip_reason=None if requests else dg.SkipReason(summary),
            asset_events=events, cursor=cursor,
        )

    return discover


def _hold_events(context: dg.SensorEvaluationContext, intake: "Intake",
                 held: dict[str, "HoldRecord"], waiting: dict[str, list[str]],
                 ) -> tuple[list[dg.AssetObservation], str]:
    """Observations telling the UI about a hold (once per hold, and when files start to wait),
    with warnings in the tick's log; the cursor remembers the holds already shown."""
    shown = set(filter(None, (context.cursor or "").split(",")))
    events = []
    for name, hold in sorted(held.items()):
        if str(hold.id) in shown and not waiting.get(name):
            continue
        count = len(intake.ledger.list_files(client=hold.client, feed=name, status="on_hold"))
        context.log.warning(f"feed {hold.client}/{name} is on hold ({hold.reason}); "
                            f"{count} file(s) wait; release with "
                            f"`pvt holds release {hold.client}/{name}`")
        events.append(hold_observation(hold.client, name, hold, waiting=count,
                                       newly_held=len(waiting.get(name, []))))
    return events, ",".join(sorted(str(h.id) for h in held.values()))
