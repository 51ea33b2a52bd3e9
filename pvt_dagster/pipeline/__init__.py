"""The per-file stages, shared by the Dagster assets and the ``pvt`` command: each wires one
manager to the ledger and records what happened.

Names are imported on first use (PEP 562) so that ``from pvt_dagster.pipeline import Intake``
does not pay for pandas, pandera and pyarrow, which only the stages need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvt_dagster.lazyexports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
    from pvt_dagster.pipeline.decrypted import DecryptedResult, run_decrypted
    from pvt_dagster.pipeline.delivered import DeliveredResult, run_delivered
    from pvt_dagster.pipeline.intake import Intake
    from pvt_dagster.pipeline.job_inputs import plan_job
    from pvt_dagster.pipeline.job_schedule import due_runs
    from pvt_dagster.pipeline.jobs import run_job_partition
    from pvt_dagster.pipeline.layout import HomeLayout
    from pvt_dagster.pipeline.outcomes import Blocked, Held, NotDone
    from pvt_dagster.pipeline.raw import RawResult, TransferAttempt, run_raw
    from pvt_dagster.pipeline.recording import utcnow
    from pvt_dagster.pipeline.replay import FileToRun, prepare_ingest, prepare_replay
    from pvt_dagster.pipeline.scrubbed import ScrubbedResult, run_scrubbed
    from pvt_dagster.pipeline.stage_guard import hold_refusal
    from pvt_dagster.pipeline.validated import (
        ValidatedResult,
        previous_delivered_rows,
        run_validated,
        unparsed_outcomes,
    )
    from pvt_dagster.pipeline.verify import verify_files

__all__ = [
    "Blocked",
    "DecryptedResult",
    "DeliveredResult",
    "FileToRun",
    "Held",
    "HomeLayout",
    "Intake",
    "NotDone",
    "RawResult",
    "ScrubbedResult",
    "TransferAttempt",
    "ValidatedResult",
    "due_runs",
    "hold_refusal",
    "plan_job",
    "prepare_ingest",
    "prepare_replay",
    "previous_delivered_rows",
    "run_decrypted",
    "run_delivered",
    "run_job_partition",
    "run_raw",
    "run_scrubbed",
    "run_validated",
    "unparsed_outcomes",
    "utcnow",
    "verify_files",
]

#: Which submodule defines each public name.
_SOURCES = {
    "DecryptedResult": "decrypted", "run_decrypted": "decrypted",
    "DeliveredResult": "delivered", "run_delivered": "delivered",
    "Intake": "intake",
    "plan_job": "job_inputs",
    "due_runs": "job_schedule",
    "run_job_partition": "jobs",
    "HomeLayout": "layout",
    "Blocked": "outcomes", "Held": "outcomes", "NotDone": "outcomes",
    "RawResult": "raw", "TransferAttempt": "raw", "run_raw": "raw",
    "utcnow": "recording",
    "FileToRun": "replay", "prepare_ingest": "replay", "prepare_replay": "replay",
    "ScrubbedResult": "scrubbed", "run_scrubbed": "scrubbed",
    "hold_refusal": "stage_guard",
    "ValidatedResult": "validated", "previous_delivered_rows": "validated",
    "run_validated": "validated", "unparsed_outcomes": "validated",
    "verify_files": "verify",
}


__getattr__ = lazy_getattr(__name__, _SOURCES, globals())
__dir__ = lazy_dir(__all__, globals())
