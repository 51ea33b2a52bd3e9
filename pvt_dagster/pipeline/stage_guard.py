"""Refusing to run a stage whose input is not there yet (or was purged under retention), or
whose feed is on hold."""

from __future__ import annotations

from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.errors import BytesPurgedError, FileRejectedError, StageOrderError
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.outcomes import Held
from pvt_dagster.tracking import active_hold, hold_file


def require_stage(ledger: Ledger, key: str, needed: Stage) -> FileRecord:
    """The file's record, if it has completed ``needed``; else a clear error."""
    record = ledger.get_file(key)
    if record.status == "rejected":
        raise FileRejectedError(f"{key} was rejected: {record.error}")
    if record.stage is None or STAGES.index(record.stage) < STAGES.index(needed):
        raise StageOrderError(
            f"{key} has not completed {needed} yet (its last stage is {record.stage or 'none'})")
    return record


def hold_refusal(intake: Intake, key: str) -> Held | None:
    """Why a run must not start for ``key``: its feed is on hold (a file that had not started
    waits as ``on_hold`` and runs when the hold is released). None when the feed is not held."""
    record = intake.ledger.get_file(key)
    if record.feed is None:
        return None
    hold = active_hold(intake.ledger, record.client, record.feed)
    if hold is None:
        return None
    if record.status == "discovered":
        hold_file(intake.ledger, record, hold)
    feed = f"{record.client}/{record.feed}"
    return Held(f"feed {feed} is on hold (hold {hold.id}: {hold.reason}); release it with "
                f"`pvt holds release {feed}`, or force the run (tag pvt/force=true, or "
                "--force on the command line)")


def refuse_purged(intake: Intake, key: str) -> None:
    """BytesPurgedError when the file's vault copy was deleted under retention (``pvt
    purge``): nothing can bring its bytes back, so no replay or rerun may start."""
    for state in intake.ledger.output_states([key]):
        if state.stage == "raw" and state.purged_at is not None:
            client = intake.config.clients.get(state.key.split("/")[0])
            kept = client.retention.vault_days if client is not None else None
            raise BytesPurgedError(
                f"the bytes of {key} are gone: its vault copy was purged on "
                f"{state.purged_at:%Y-%m-%d %H:%M}Z under retention"
                + (f" (vault_days: {kept})" if kept is not None else "")
                + "; it cannot be replayed (its ledger record and chain remain: "
                f"pvt file show {key})")
