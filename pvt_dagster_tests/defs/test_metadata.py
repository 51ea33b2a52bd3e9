"""Check-result and stage metadata for the Dagster UI: the readable markdown failure report,
the scrub audit and the second validation, with masked samples only."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.defs.metadata import check_result, scrubbed_metadata, validated_metadata
from pvt_dagster.naming import stage_asset_path
from pvt_dagster.scrubbing import scrub_file
from pvt_dagster.validation import validate_file

FEED = FeedConfig.model_validate({
    "source": "s", "pattern": "*", "decrypt": "none",
    "columns": {"ssn": {"checks": [{"rule": "pattern", "pattern": "ssn"}, {"rule": "unique"}],
                        "scrub": [{"format": {"as": "ssn"}}]},
                "dob": {"checks": [{"rule": "type", "type": "date"}],
                        "scrub": [{"date": {"formats": ["%m/%d/%Y"]}}]}},
    "file_checks": [{"rule": "duplicate_rows", "severity": "warning"}]})
CSV = "ssn,dob\n123456789,01/02/1980\n000123456,1980-02-30\n123456789,01/02/1980\n"
CLEAR = ("123456789", "000123456", "123-45-6789", "01/02/1980")


def test_check_metadata_is_a_masked_markdown_report(tmp_path: Path) -> None:
    """Each check's metadata: counts, first rows, masked samples and a markdown table."""
    path = tmp_path / "f.csv"
    path.write_text(CSV)
    report = validate_file(path, FEED)
    key = dg.AssetKey(stage_asset_path("acme", "members", "validated"))
    results = {o.check_name: check_result(key, o) for o in report.outcomes}
    unique = results["ssn__unique"]
    assert not unique.passed and unique.severity == dg.AssetCheckSeverity.ERROR
    assert unique.metadata["failures"].value == 1
    assert unique.metadata["first_data_rows_after_header"].value == [3]
    table = str(unique.metadata["report"].value)
    assert "| ssn__unique | failure | failed | 1 | 3 | `*****6789` |" in table
    dup = results["file__duplicate_rows"]
    assert dup.severity == dg.AssetCheckSeverity.WARN and dup.metadata["column"].value == "(file)"
    whole = str(validated_metadata(report.outcomes)["report"].value)
    assert whole.count("\n") == 2 + len(report.outcomes) + 2  # and the note on data rows
    for text in [whole, *(str(r.metadata) for r in results.values())]:
        assert not any(value in text for value in CLEAR)


def test_scrubbed_metadata_has_audit_and_recheck(tmp_path: Path) -> None:
    """The scrubbed asset shows every step's changes and the re-validation, masked."""
    src = tmp_path / "f.csv"
    src.write_text(CSV)
    report = scrub_file(src, tmp_path / "out.csv", FEED)
    recheck = validate_file(tmp_path / "out.csv", FEED)
    meta = scrubbed_metadata(report.changes, recheck.outcomes)
    changes = str(meta["changes"].value)
    assert "| ssn | 1 | format | 3 | 1, 2, 3 |" in changes
    assert "`*****6789` → `***-**-6789`" in changes
    assert "| dob | 1 | date | 2 | 1, 3 |" in changes
    assert meta["recheck_failed_checks"].value == ["ssn__pattern", "ssn__unique",
                                                   "dob__type", "file__duplicate_rows"]
    assert "recheck" in meta
    for value in meta.values():
        assert not any(clear in str(value.value) for clear in CLEAR)
