"""The ``pvt__release_hold`` job: release a feed's hold from the Dagster UI (run config
``ops: {release_hold: {config: {feed: client/feed, note: ..., user: ...}}}``); the same as
``pvt holds release``. Its waiting files run at the discovery sensor's next tick.

No ``from __future__ import annotations``: Dagster inspects the op's annotations."""

import dagster as dg

from pvt_dagster.defs.metrics import hold_observation
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.tracking import active_hold, release

RELEASE_JOB = "pvt__release_hold"


class ReleaseHoldConfig(dg.Config):
    """Which feed to release, why, and who releases it."""

    feed: str
    note: str = ""
    user: str = ""


@dg.op(name="release_hold", description="Release a feed's hold; its waiting files then run.")
def release_hold(context: dg.OpExecutionContext, config: ReleaseHoldConfig,
                 pvt: PvtIntakeResource) -> None:
    """Release the hold (an operator action with the user) and tell the UI."""
    intake = pvt.get()
    feed = intake.parse_feed_name(config.feed)
    if active_hold(intake.ledger, feed.client, feed.name) is None:
        raise dg.Failure(description=f"feed {feed.qualified_name} is not on hold")
    user = config.user or context.run.tags.get("dagster/user") or "dagster"
    done = release(intake.ledger, feed.client, feed.name, user=user, note=config.note or None)
    context.log.info(f"released {feed.qualified_name} (hold {done.hold.id}) as {user}; "
                     f"{len(done.files)} waiting file(s) run at the next poll")
    context.log_event(hold_observation(feed.client, feed.name, done.hold, waiting=0,
                                       released_by=user, files_released=len(done.files)))


@dg.job(name=RELEASE_JOB, description="Release a feed on hold (run config: the feed, "
        "client/feed). Same as `pvt holds release`.")
def release_hold_job() -> None:
    """One op: release the hold."""
    release_hold()
