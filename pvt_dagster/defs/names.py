"""Names the Dagster layer derives from config: asset keys, partitions, jobs, sensors, tags."""

from __future__ import annotations

from pvt_dagster.config.models import FeedRef

TAG_FEED = "pvt/feed"
TAG_CLIENT = "pvt/client"
TAG_FILE = "pvt/file"
TAG_REPLAY = "pvt/replay"
TAG_FORCE = "pvt/force"              # "true": run even though the feed is on hold
PARTITION_TAG = "dagster/partition"  # Dagster's: the partition (file key) of a run
RUN_KEY_TAG = "dagster/run_key"      # Dagster's: the run key of a sensor-requested run


def asset_key_path(feed: FeedRef, stage: str) -> list[str]:
    """``[client, feed, stage]``."""
    return [feed.client, feed.name, stage]


def partitions_name(feed: FeedRef) -> str:
    """The dynamic partitions definition of a feed: ``<client>__<feed>``."""
    return f"{feed.client}__{feed.name}"


def job_name(feed: FeedRef) -> str:
    """The job that runs one file of a feed through every stage."""
    return f"{feed.client}__{feed.name}__intake"


def discovery_sensor_name(client: str, source: str) -> str:
    """The sensor that polls one source."""
    return f"{client}__{source}__discover"


def run_key(key: str, run_seq: int) -> str:
    """Dagster's run key for a file: the key itself, or ``key#n`` after a reset or replay."""
    return key if run_seq == 0 else f"{key}#{run_seq}"


def run_tags(feed: FeedRef, key: str) -> dict[str, str]:
    """Tags of a file's run; ``pvt/feed`` is what the one-run-per-feed limit keys on."""
    return {TAG_FEED: feed.qualified_name, TAG_CLIENT: feed.client, TAG_FILE: key}
