"""One job per feed: every stage of one file, in one process (a subprocess per step costs about
two seconds a step on small machines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:  # the type is not exported by name; only annotations use it
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition as FeedJob,
    )

from pvt_dagster.config.models import FeedRef
from pvt_dagster.defs.hooks import pvt_failure_hook, pvt_success_hook
from pvt_dagster.defs.names import TAG_CLIENT, TAG_FEED, asset_key_path, job_name
from pvt_dagster.domain import STAGES


def build_feed_job(feed: FeedRef) -> FeedJob:
    """The job the discovery sensor launches for each ready file of ``feed``."""
    selection = dg.AssetSelection.assets(*(dg.AssetKey(asset_key_path(feed, s)) for s in STAGES))
    return dg.define_asset_job(
        name=job_name(feed),
        selection=selection,
        executor_def=dg.in_process_executor,
        description=f"Receive, decrypt, validate, scrub and deliver one {feed.qualified_name} "
                    "file.",
        tags={TAG_FEED: feed.qualified_name, TAG_CLIENT: feed.client},
        hooks={pvt_failure_hook, pvt_success_hook},  # report to the communication manager
    )
