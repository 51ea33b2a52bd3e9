"""Names the Dagster layer derives from config: asset keys, partitions, jobs, sensors, tags
(asset key and partition layouts: ``pvt_dagster.naming``)."""

from __future__ import annotations

from collections.abc import Mapping

from pvt_dagster import naming
from pvt_dagster.config.models import FeedRef
from pvt_dagster.domain import Stage
from pvt_dagster.naming import stage_asset_path

TAG_FEED = "pvt/feed"
TAG_CLIENT = "pvt/client"
TAG_FILE = "pvt/file"
TAG_REPLAY = "pvt/replay"
TAG_FORCE = "pvt/force"              # "true": run even though the feed is on hold
PARTITION_TAG = "dagster/partition"  # Dagster's: the partition of a run (see partition_key)
RUN_KEY_TAG = "dagster/run_key"      # Dagster's: the run key of a sensor-requested run


def asset_key_path(feed: FeedRef, stage: Stage) -> list[str]:
    """``[client, feed, "<feed>_<stage>"]`` (see ``pvt_dagster.naming``)."""
    return stage_asset_path(feed.client, feed.name, stage)


def partitions_name(feed: FeedRef) -> str:
    """The dynamic partitions definition of a feed: ``<client>__<feed>``."""
    return f"{feed.client}__{feed.name}"


def job_name(feed: FeedRef) -> str:
    """The job that runs one file of a feed through every stage."""
    return f"{feed.client}__{feed.name}__intake"


def discovery_sensor_name(client: str, source: str) -> str:
    """The sensor that polls one source."""
    return f"{client}__{source}__discover"


def file_key_of(feed: FeedRef | str, partition: str) -> str:
    """The file key of a feed's partition (``feed``: a FeedRef or ``client/feed``)."""
    return naming.file_key_of(feed.qualified_name if isinstance(feed, FeedRef) else feed,
                              partition)


def run_file_key(tags: Mapping[str, str]) -> str | None:
    """The file key a run is for: its ``pvt/file`` tag, or its feed and partition (a run
    launched from the UI has no ``pvt/file`` tag)."""
    if TAG_FILE in tags:
        return tags[TAG_FILE]
    if TAG_FEED in tags and PARTITION_TAG in tags:
        return file_key_of(tags[TAG_FEED], tags[PARTITION_TAG])
    return None


def run_tags(feed: FeedRef, key: str) -> dict[str, str]:
    """Tags of a file's run; ``pvt/feed`` is what the one-run-per-feed limit keys on."""
    return {TAG_FEED: feed.qualified_name, TAG_CLIENT: feed.client, TAG_FILE: key}
