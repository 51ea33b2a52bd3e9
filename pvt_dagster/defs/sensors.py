"""One discovery sensor per source: poll, record observations in the ledger, and request a run
for every quiesced file (the ledger is the truth; Dagster's run keys deduplicate)."""


from collections import defaultdict
from typing import TYPE_CHECKING

import dagster as dg

from pvt_dagster.config.models import FeedRef
from pvt_dagster.defs.assets import feed_partitions
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

if TYPE_CHECKING:
    from pvt_dagster.defs.jobs import FeedJob


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
        """Discover and request runs for ready files."""
        intake = pvt.get()
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
            return dg.SkipReason(f"source {client}/{source_name}: {reason}")
        keys_by_feed: dict[str, list[str]] = defaultdict(list)
        requests = []
        for record in polled.ready:
            if record.feed is None or record.feed not in by_feed:
                continue
            feed = by_feed[record.feed]
            if not context.instance.has_dynamic_partition(partitions_name(feed), record.key):
                keys_by_feed[feed.name].append(record.key)
            requests.append(dg.RunRequest(
                job_name=job_name(feed), partition_key=record.key,
                run_key=run_key(record.key, record.run_seq), tags=run_tags(feed, record.key)))
        summary = (f"listed {polled.listed}, new {len(polled.new)}, waiting {polled.waiting}, "
                   f"ready {len(polled.ready)}, rejected {len(polled.rejected)}")
        context.log.info(f"{client}/{source_name}: {summary}")
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[partitions[name].build_add_request(keys)
                                         for name, keys in keys_by_feed.items()],
            skip_reason=None if requests else dg.SkipReason(summary),
        )

    return discover
