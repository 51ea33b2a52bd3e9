"""Stage ``scrubbed``: apply the feed's scrub actions with an audit of every change, then
validate the scrubbed output again and record that second result too."""

from __future__ import annotations

from dataclasses import dataclass

from pvt_dagster.config import CsvFormat
from pvt_dagster.ledger import ScrubChangeInput
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.outcomes import Blocked
from pvt_dagster.pipeline.plaintext import plaintext, release_plaintext, released_on_failure
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import recorded_stage
from pvt_dagster.pipeline.stage_guard import require_stage
from pvt_dagster.pipeline.validated import record_outcomes
from pvt_dagster.scrubbing import ScrubChange, scrub_file
from pvt_dagster.transport import sha256_file
from pvt_dagster.validation import CheckOutcome, validate_file

#: The scrubbed file is always written as plain UTF-8, comma-delimited CSV with a header.
SCRUBBED_FORMAT = CsvFormat()


@dataclass(frozen=True)
class ScrubbedResult:
    """What ``scrubbed`` changed, and what the rules say about the result."""

    rows: int
    sha256: str
    changes: list[ScrubChange]
    recheck: list[CheckOutcome]

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        return {"rows": self.rows, "sha256": self.sha256,
                "values_changed": sum(c.rows_changed for c in self.changes),
                "recheck_problems": sum(1 for o in self.recheck if not o.passed)}


def run_scrubbed(intake: Intake, key: str, *, run_id: str) -> ScrubbedResult | Blocked:
    """Scrub the decrypted file into the work folder; byte-identical on every rerun. A file
    that failure rules blocked is not scrubbed."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "validated")
    if record.status == "failed" and record.stage == "validated":
        release_plaintext(intake, key)
        return Blocked(f"blocked by failure rules at validated: {record.error}")
    feed = intake.feed_of(record)
    dst = intake.layout.scrubbed_path(key)
    with released_on_failure(intake, key), recorded_stage(
            ledger, key, stage="scrubbed", action="scrub", run_id=run_id) as draft:
        draft.input_sha256 = record.decrypted_sha256
        report = scrub_file(plaintext(intake, record), dst, feed.config)
        ledger.record_scrub_changes(key, run_id=run_id, changes=[
            ScrubChangeInput(column=c.column, action=c.action, step=c.step,
                             rows_changed=c.rows_changed, rows=list(c.rows),
                             samples=list(c.samples)) for c in report.changes])
        recheck = validate_file(dst, feed.config, fmt=SCRUBBED_FORMAT)
        outcomes = recheck.outcomes if recheck.parse_error is None else []
        record_outcomes(ledger, key, run_id=run_id, phase="scrubbed", outcomes=outcomes)
        result = ScrubbedResult(report.rows, sha256_file(dst), report.changes, outcomes)
        intake.store.publish(dst, sha256=result.sha256)
        draft.output_sha256, draft.rows = result.sha256, report.rows
        draft.bytes = dst.stat().st_size
        draft.details = {"values_changed": result.metadata()["values_changed"]}
        mark_done(ledger, record, "scrubbed", metrics=result.metadata(),
                  scrubbed_sha256=result.sha256)
    return result
