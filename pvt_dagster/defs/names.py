"""Names the Dagster layer derives from config: asset keys, partitions, jobs, sensors, tags."""

from __future__ import annotations

from pvt_dagster.config.jobs import partition_root
from pvt_dagster.config.models import FeedRef, JobRef

TAG_FEED = "pvt/feed"
TAG_JOB = "pvt/job"
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


def job_asset_key_path(job: JobRef) -> list[str]:
    """``[client, job]``."""
    return [job.client, job.name]


def job_partitions_name(job: JobRef) -> str:
    """A job's dynamic partitions: its input feed's (``<client>__<feed>``) for per_file jobs
    over a feed, else its own or its partitioning job's (``<client>__<job>``)."""
    root = partition_root(job.name, job.client_config.feeds, job.client_config.jobs)
    return f"{job.client}__{root.split(':', 1)[1]}"


def processing_job_name(job: JobRef) -> str:
    """The Dagster job that builds one partition of a processing job."""
    return f"{job.client}__{job.name}__process"


def job_sensor_name(job: JobRef) -> str:
    """The sensor that runs a processing job when its inputs change."""
    return f"{job.client}__{job.name}__inputs"


def job_run_tags(job: JobRef) -> dict[str, str]:
    """Tags of a processing job's runs."""
    return {TAG_JOB: job.qualified_name, TAG_CLIENT: job.client}
