"""Names the Dagster layer derives from config: asset keys, partitions, jobs, sensors, tags
(asset key and partition layouts: ``pvt_dagster.naming``)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from pvt_dagster import naming
from pvt_dagster.config import FeedRef, JobRef, partition_root
from pvt_dagster.domain import Stage
from pvt_dagster.naming import stage_asset_path

TAG_FEED = "pvt/feed"
TAG_JOB = "pvt/job"
TAG_CLIENT = "pvt/client"
TAG_FILE = "pvt/file"
TAG_REPLAY = "pvt/replay"
TAG_FORCE = "pvt/force"              # "true": run even though the feed is on hold
TAG_BATCH = "pvt/batch"              # the feed (client/feed) of a batch run
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


def batch_job_name(feed: FeedRef) -> str:
    """The job that runs several ready files of a feed, one after another, in one run."""
    return f"{feed.client}__{feed.name}__batch"


def batch_op_name(feed: FeedRef) -> str:
    """The op of a feed's batch job (the run config's ``ops`` key)."""
    return f"{feed.client}__{feed.name}__files"


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
        return file_key_of(feed_of_lane(tags[TAG_FEED]), tags[PARTITION_TAG])
    return None


def feed_lane(feed: FeedRef, key: str) -> str:
    """The ``pvt/feed`` tag of a file's run, which the one-run-per-value limit keys on: the
    feed (``client/feed``), or for a feed with ``concurrency: N`` > 1 one of its N lanes
    (``client/feed#k``, k from a stable hash of the file key), so N files run at once."""
    lanes = feed.config.concurrency
    if lanes <= 1:
        return feed.qualified_name
    return f"{feed.qualified_name}#{zlib.crc32(key.encode()) % lanes}"


def feed_of_lane(value: str) -> str:
    """The feed (``client/feed``) of a ``pvt/feed`` tag value, without its lane."""
    return value.split("#", 1)[0]


def run_tags(feed: FeedRef, key: str) -> dict[str, str]:
    """Tags of a file's run; ``pvt/feed`` (see ``feed_lane``) is what the instance's
    one-run-per-value limit keys on."""
    return {TAG_FEED: feed_lane(feed, key), TAG_CLIENT: feed.client, TAG_FILE: key}


def job_asset_key_path(job: JobRef) -> list[str]:
    """``[client, job]``."""
    return [job.client, job.name]


def job_partitions_name(job: JobRef) -> str:
    """A job's dynamic partitions: its input feed's (``<client>__<feed>``) for per_file jobs
    over a feed, else its own or its partitioning job's (``<client>__<job>``)."""
    root = partition_root(job.name, job.client_config.feeds, job.client_config.jobs)
    return f"{job.client}__{root.split(':', 1)[1]}"


def _root_feed(job: JobRef) -> str | None:
    """The feed whose files a job's partitions are (a per_file job over a feed), else None."""
    kind, _, name = partition_root(job.name, job.client_config.feeds,
                                   job.client_config.jobs).partition(":")
    return f"{job.client}/{name}" if kind == "feed" else None


def job_dagster_partition(job: JobRef, partition: str) -> str:
    """The Dagster partition of a job's partition: a feed's file key told the feed's way
    (``pvt_dagster.naming``); a day or a folder file as it is."""
    return naming.partition_key(partition) if _root_feed(job) else partition


def job_partition_of(job: JobRef, dagster_partition: str) -> str:
    """A job's partition (a file key, a day or a folder file) from its Dagster partition."""
    feed = _root_feed(job)
    return naming.file_key_of(feed, dagster_partition) if feed else dagster_partition


def processing_job_name(job: JobRef) -> str:
    """The Dagster job that builds one partition of a processing job."""
    return f"{job.client}__{job.name}__process"


def job_sensor_name(job: JobRef) -> str:
    """The sensor that runs a processing job when its inputs change."""
    return f"{job.client}__{job.name}__inputs"


def job_run_tags(job: JobRef) -> dict[str, str]:
    """Tags of a processing job's runs."""
    return {TAG_JOB: job.qualified_name, TAG_CLIENT: job.client}
