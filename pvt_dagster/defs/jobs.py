"""One job per feed: every stage of one file, in one process (a subprocess per step costs about
two seconds a step on small machines)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.hooks import pvt_failure_hook, pvt_success_hook
from pvt_dagster.defs.names import TAG_CLIENT, TAG_FEED, asset_key_path, job_name
from pvt_dagster.domain import STAGES


def build_feed_job(feed: FeedRef, assets: Sequence[dg.AssetsDefinition],
                   resources: Mapping[str, object]) -> dg.JobDefinition:
    """The job the discovery sensor launches for each ready file of ``feed`` (resolved
    against the feed's own assets)."""
    selection = dg.AssetSelection.assets(*(dg.AssetKey(asset_key_path(feed, s)) for s in STAGES))
    job = dg.define_asset_job(
        name=job_name(feed),
        selection=selection,
        executor_def=dg.in_process_executor,
        description=f"Receive, decrypt, validate, scrub and deliver one {feed.qualified_name} "
                    "file.",
        tags={TAG_FEED: feed.qualified_name, TAG_CLIENT: feed.client},
        hooks={pvt_failure_hook, pvt_success_hook},  # report to the communication manager
    )
    return dg.Definitions(assets=assets, jobs=[job], resources=resources).resolve_job_def(
        job_name(feed))
