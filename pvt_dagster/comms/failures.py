"""Failure messages for failures that the stages could not record themselves: a step that
failed outside the stage's own recording (reported by the Dagster failure hook) and a run that
failed outside any step (reported by the run-failure sensor). Both are idempotent: they use the
dedupe keys the stages use, so a failure is never reported twice."""

from __future__ import annotations

from pvt_dagster.domain import Stage
from pvt_dagster.errors import UnknownFileError
from pvt_dagster.ledger import FileRecord, Ledger, MessageRecord
from pvt_dagster.masking import mask_pii


def report_step_failure(ledger: Ledger, key: str, stage: Stage, *, run_id: str, error: str,
                        error_class: str | None) -> MessageRecord | None:
    """Queue the failure message of a failed step of one file (None for an unknown file)."""
    try:
        record = ledger.get_file(key)
    except UnknownFileError:
        return None
    return ledger.record_message(
        dedupe_key=f"{key}:{stage}:{run_id}:error", client=record.client,
        feed=record.feed, file_key=key, stage=stage, kind=f"{stage}_failed",
        severity="failure", text=f"{key} failed at {stage}: {error}",
        details={"run_id": run_id, "reported_by": "hook", "error_class": error_class})


def report_run_failure(ledger: Ledger, key: str | None, *, run_id: str, job: str,
                       failure_message: str | None) -> MessageRecord | None:
    """Queue a message for a failed run unless one of its steps already reported a failure;
    the message queued, if any."""
    record: FileRecord | None = None
    if key is not None:
        for message in ledger.messages(file_key=key):
            if message.severity == "failure" and message.details.get("run_id") == run_id:
                return None
        record = ledger.find_file(key)
    reason = mask_pii(" ".join((failure_message or "").split()))[:300] or "see the run's logs"
    return ledger.record_message(
        dedupe_key=f"{key or '-'}:run:{run_id}:error",
        client=record.client if record else None, feed=record.feed if record else None,
        file_key=record.key if record else None, stage=None, kind="run_failed",
        severity="failure",
        text=f"run of {job} for {key or 'no file'} failed outside its steps: {reason}",
        details={"run_id": run_id, "job": job})
