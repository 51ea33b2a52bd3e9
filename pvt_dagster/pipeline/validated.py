"""Stage ``validated``: parse the decrypted file and run the feed's rules; every planned check
gets a result (ERROR for all of them when the file cannot be parsed), recorded in the ledger."""

from __future__ import annotations

from dataclasses import dataclass

from pvt_dagster.domain import Phase
from pvt_dagster.errors import ParseError
from pvt_dagster.ledger import CheckResultInput, FileRecord, Ledger
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.outcomes import Blocked
from pvt_dagster.pipeline.plaintext import plaintext, release_plaintext, released_on_failure
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import recorded_stage
from pvt_dagster.pipeline.stage_guard import require_stage
from pvt_dagster.validation import CheckOutcome, PlannedCheck, planned_checks, validate_file


@dataclass(frozen=True)
class ValidatedResult:
    """Every planned check's outcome for one file, in planned order."""

    rows: int | None
    outcomes: list[CheckOutcome]
    parse_error: str | None

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        """Failure-severity checks that did not pass: they block scrubbing and delivery."""
        return [o for o in self.outcomes if o.severity == "failure" and not o.passed]

    @property
    def blocked(self) -> Blocked | None:
        """Why scrubbing and delivery must not run (failure rules found problems), or None."""
        failed = self.failed_checks
        if not failed:
            return None
        return Blocked(_summary(failed), tuple(o.check_name for o in failed))

    @property
    def warned_checks(self) -> list[CheckOutcome]:
        """Warning-severity checks that found something."""
        return [o for o in self.outcomes if o.severity == "warning" and not o.passed]

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        return {"rows": self.rows, "failed_checks": len(self.failed_checks),
                "warned_checks": len(self.warned_checks), "parse_error": self.parse_error}


def previous_delivered_rows(ledger: Ledger, record: FileRecord) -> int | None:
    """Rows of the feed's latest delivered file discovered before this one (None if none)."""
    earlier = [f for f in ledger.list_files(client=record.client, feed=record.feed,
                                            status="delivered")
               if f.key != record.key and f.rows is not None
               and (f.discovered_at, f.id) < (record.discovered_at, record.id)]
    return earlier[-1].rows if earlier else None


def unparsed_outcomes(planned: list[PlannedCheck], error: ParseError) -> list[CheckOutcome]:
    """ERROR results for every planned check of a file that could not be parsed."""
    return [CheckOutcome(check_name=p.name, rule=p.rule, column=p.column, severity="failure",
                         passed=False, failures=0, rows=[], samples=[],
                         message=f"file could not be parsed: {error}") for p in planned]


def record_outcomes(ledger: Ledger, key: str, *, run_id: str, phase: Phase,
                    outcomes: list[CheckOutcome]) -> None:
    """Write check outcomes to the ledger (idempotent per run, phase and check)."""
    ledger.record_check_results(key, run_id=run_id, phase=phase, results=[
        CheckResultInput(check_name=o.check_name, rule=o.rule, column=o.column,
                         severity=o.severity, passed=o.passed, failures=o.failures,
                         rows=list(o.rows), samples=list(o.samples), message=o.message)
        for o in outcomes])


def run_validated(intake: Intake, key: str, *, run_id: str) -> ValidatedResult:
    """Validate the decrypted file. A failure rule blocks the file: it ends ``failed`` at
    ``validated`` with a failure message, and the result says so (``blocked``). A file that
    cannot be parsed raises ParseError after every check got its ERROR result."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "decrypted")
    feed = intake.feed_of(record)
    planned = planned_checks(feed.config)
    with released_on_failure(intake, key), recorded_stage(
            ledger, key, stage="validated", action="validate", run_id=run_id) as draft:
        draft.input_sha256 = record.decrypted_sha256
        report = validate_file(plaintext(intake, record), feed.config,
                               previous_rows=previous_delivered_rows(ledger, record))
        if report.parse_error is not None:
            record_outcomes(ledger, key, run_id=run_id, phase="validated",
                            outcomes=unparsed_outcomes(planned, report.parse_error))
            raise report.parse_error
        by_name = {o.check_name: o for o in report.outcomes}
        result = ValidatedResult(report.rows, [by_name[p.name] for p in planned], None)
        draft.rows = report.rows
        draft.details = {"failed_checks": [o.check_name for o in result.failed_checks],
                         "warned_checks": [o.check_name for o in result.warned_checks]}
        record_outcomes(ledger, key, run_id=run_id, phase="validated",
                        outcomes=result.outcomes)
        record = mark_done(ledger, record, "validated", metrics=result.metadata(),
                           rows=report.rows)
        _report_warnings(intake, key, result, run_id)
        if result.blocked is not None:
            _block(intake, record, result.blocked, run_id)
            draft.end_without_output(result.blocked)
    if result.blocked is not None:
        release_plaintext(intake, key)  # the file is final until a replay
    return result


def _block(intake: Intake, record: FileRecord, blocked: Blocked, run_id: str) -> None:
    """Mark a file blocked by failure rules ``failed`` at ``validated`` and queue its failure
    message (the step's failure hook uses the same dedupe key, so it is never doubled)."""
    intake.ledger.update_file(record.key, status="failed", stage="validated",
                              error=blocked.reason)
    intake.ledger.record_message(
        dedupe_key=f"{record.key}:validated:{run_id}:error", client=record.client,
        feed=record.feed, file_key=record.key, stage="validated", kind="validated_failed",
        severity="failure", text=f"{record.key} failed at validated: {blocked.reason}",
        details={"error_class": "ValidationFailedError", "run_id": run_id,
                 "checks": list(blocked.checks)})


def _summary(failed: list[CheckOutcome]) -> str:
    """One line naming the failed checks and how many rows each found."""
    parts = [f"{o.check_name} ({o.message})" if o.failures == 0 else
             f"{o.check_name} ({o.failures} rows)" for o in failed]
    return f"{len(failed)} failure rule(s) found problems: " + ", ".join(parts)


def _report_warnings(intake: Intake, key: str, result: ValidatedResult, run_id: str) -> None:
    """Queue one warning message per file and run when warning rules found something."""
    if not result.warned_checks:
        return
    record = intake.ledger.get_file(key)
    names = ", ".join(f"{o.check_name} ({o.failures} rows)" for o in result.warned_checks)
    intake.ledger.record_message(
        dedupe_key=f"{key}:validated:{run_id}:warning", client=record.client, feed=record.feed,
        file_key=key, stage="validated", kind="rule_warning", severity="warning",
        text=f"{key}: warning rules found problems: {names}",
        details={"run_id": run_id, "checks": [o.check_name for o in result.warned_checks]})
