"""The validation engine: rule semantics, chunking, parse errors, masking and the report."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from pvt_dagster.config.models import CsvFormat, FeedConfig
from pvt_dagster.errors import ConfigError
from pvt_dagster.validation import (
    CheckOutcome,
    ValidationReport,
    build_schema,
    render_markdown,
    validate_file,
)


def feed(columns: dict[str, Any], **fmt: Any) -> FeedConfig:
    """A minimal feed with these columns and format options."""
    return FeedConfig.model_validate(
        {"source": "drop", "pattern": "*.csv", "decrypt": "none", "columns": columns,
         "format": fmt}
    )


def write(tmp_path: Path, text: str, name: str = "f.csv") -> Path:
    """Write a UTF-8 file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def outcome(report: ValidationReport, name: str) -> CheckOutcome:
    """The outcome of one check by name."""
    return next(o for o in report.outcomes if o.check_name == name)


MEMBERS = feed({
    "ssn": {"required": True, "checks": [{"rule": "pattern", "pattern": "ssn"}]},
    "phone": {"checks": [{"rule": "pattern", "pattern": "us_phone", "severity": "warning"}]},
    "state": {"checks": [{"rule": "in_list", "values": "us_states", "severity": "warning"}]},
    "member_id": {"pii": False, "checks": [
        {"rule": "pattern", "regex": "M[0-9]+", "severity": "information"}]},
})
MEMBERS_CSV = (
    "ssn,phone,state,member_id\n"
    "123-45-6789,(555) 123-4567,CA,M1\n"   # 1 clean
    "000-12-3456,555.123.4567,XX,M2\n"     # 2 bad ssn, bad state
    ",5551234567,NY,\n"                    # 3 empty ssn (required), empty member_id passes
    "987-65-4321,12345,TX,X9\n"            # 4 bad ssn area, bad phone, bad member_id
    "234-56-7890,,ny,M5\n"                 # 5 empty phone passes, lowercase state fails
)


def test_members_outcomes(tmp_path: Path) -> None:
    """Counts, row numbers, masked samples and messages of a small file."""
    report = validate_file(write(tmp_path, MEMBERS_CSV), MEMBERS)
    assert report.rows == 5 and report.parse_error is None
    assert report.columns == ["ssn", "phone", "state", "member_id"]
    req = outcome(report, "ssn__required")
    assert (req.passed, req.failures, req.rows, req.samples) == (False, 1, [3], ["(empty)"])
    assert req.message == "1 of 5 rows have an empty ssn"
    ssn = outcome(report, "ssn__pattern")
    assert (ssn.failures, ssn.rows, ssn.samples) == (2, [2, 4], ["***-**-3456", "***-**-4321"])
    assert ssn.message == "2 of 5 rows do not match the built-in pattern ssn"
    phone = outcome(report, "phone__pattern")
    assert (phone.failures, phone.rows, phone.severity) == (1, [4], "warning")
    state = outcome(report, "state__in_list")
    assert (state.failures, state.rows) == (2, [2, 5])
    member = outcome(report, "member_id__pattern")
    assert (member.failures, member.samples) == (1, ["X9"])  # pii: false shows clear values
    assert report.failed
    assert report.by_severity() == {"failure": 2, "warning": 2, "information": 1}


def test_clean_file_passes(tmp_path: Path) -> None:
    """A clean file passes every check and is not failed."""
    report = validate_file(write(tmp_path, "ssn,state\n123456789,CA\n"), MEMBERS)
    assert not report.failed
    present = [o for o in report.outcomes if o.column in {"ssn", "state"}]
    assert all(o.passed and o.failures == 0 for o in present)
    assert outcome(report, "phone__pattern").message == "column phone is missing"


def test_chunking_gives_the_same_report(tmp_path: Path) -> None:
    """chunk_rows=2 yields exactly the outcomes of a single chunk, row numbers included."""
    path = write(tmp_path, MEMBERS_CSV)
    assert validate_file(path, MEMBERS, chunk_rows=2) == validate_file(path, MEMBERS)
    assert validate_file(path, MEMBERS, chunk_rows=1) == validate_file(path, MEMBERS)


def test_row_numbers_and_limits_across_chunks(tmp_path: Path) -> None:
    """Failures far into the file keep their row numbers; rows and samples are capped."""
    lines = ["zip"] + ["02139"] * 7 + ["bad"] * 30
    path = write(tmp_path, "\n".join(lines) + "\n")
    report = validate_file(path, feed({"zip": {"checks": [{"rule": "pattern", "pattern": "zip"}]}}),
                           chunk_rows=3)
    zip_ = outcome(report, "zip__pattern")
    assert zip_.failures == 30
    assert zip_.rows == list(range(8, 18))
    assert zip_.samples == ["***"] * 5


def test_required_missing_column_and_empty_values(tmp_path: Path) -> None:
    """required fails on a missing column and on empty or blank values."""
    config = feed({"id": {"required": True}, "name": {"required": True}})
    report = validate_file(write(tmp_path, "id,x\n1,a\n ,b\n3,c\n\"\",d\n"), config)
    ids = outcome(report, "id__required")
    assert (ids.passed, ids.failures, ids.rows) == (False, 2, [2, 4])
    name = outcome(report, "name__required")
    assert (name.passed, name.severity) == (False, "failure")
    assert name.message == "column name is missing"


def test_explicit_required_rule_keeps_its_severity(tmp_path: Path) -> None:
    """{rule: required, severity: warning} is about presence (empties are not_null's job) and
    reports at warning."""
    config = feed({"id": {"checks": [{"rule": "required", "severity": "warning"}]}})
    report = validate_file(write(tmp_path, "id,x\n1,a\n"), config)
    assert report.by_severity() == {"failure": 0, "warning": 0, "information": 0}
    report = validate_file(write(tmp_path, "id,x\n,1\n"), config)
    assert report.by_severity()["warning"] == 0
    report = validate_file(write(tmp_path, "other,x\n,1\n"), config)
    assert report.by_severity()["warning"] == 1 and not report.failed


def test_missing_column_fails_at_its_own_severity(tmp_path: Path) -> None:
    """A check on a column absent from the file fails with 'column X is missing'."""
    config = feed({"state": {"checks": [
        {"rule": "in_list", "values": "us_states", "severity": "information"}]}})
    report = validate_file(write(tmp_path, "a\n1\n"), config)
    (only,) = report.outcomes
    assert (only.passed, only.severity, only.message) == (
        False, "information", "column state is missing")
    assert not report.failed


@pytest.mark.parametrize("ignore_case", [False, True])
def test_in_list_kinds(tmp_path: Path, ignore_case: bool) -> None:
    """in_list with an inline list, a built-in list and a file; case per ignore_case."""
    values_file = tmp_path / "plans.txt"
    values_file.write_text("Gold\nSilver\n\n  Bronze  \n", encoding="utf-8")
    config = feed({
        "tier": {"checks": [{"rule": "in_list", "values": ["A", "B"], "ignore_case": ignore_case}]},
        "state": {"checks": [
            {"rule": "in_list", "values": "us_states_and_territories",
             "ignore_case": ignore_case}]},
        "plan": {"checks": [
            {"rule": "in_list", "values": {"file": str(values_file)}, "ignore_case": ignore_case}]},
    })
    csv = "tier,state,plan\nA,PR,Gold\nb,pr,bronze\nC,ZZ,Platinum\n,,\nB,DC,Bronze\n"
    report = validate_file(write(tmp_path, csv), config)
    expected = [3] if ignore_case else [2, 3]
    for name in ("tier__in_list", "state__in_list", "plan__in_list"):
        assert outcome(report, name).rows == expected, name


def test_custom_regex_and_empty_values_pass(tmp_path: Path) -> None:
    """A custom regex is a full match; ignore_case applies; empty values pass."""
    config = feed({"code": {"checks": [
        {"rule": "pattern", "regex": "[a-z]{3}"},
        {"rule": "pattern", "regex": "[a-z]{3}", "ignore_case": True}]}})
    report = validate_file(write(tmp_path, "code,n\nabc,1\nABC,2\nabcd,3\n,4\n  ,5\n"), config)
    assert outcome(report, "code__pattern").rows == [2, 3]
    assert outcome(report, "code__pattern_2").rows == [3]
    assert "regular expression" in outcome(report, "code__pattern").message


def test_unknown_builtin_is_a_config_error(tmp_path: Path) -> None:
    """A built-in list or pattern name that does not exist is a ConfigError before reading."""
    config = feed({"s": {"checks": [{"rule": "in_list", "values": "us_counties"}]}})
    with pytest.raises(ConfigError, match="us_counties"):
        validate_file(write(tmp_path, "s\n1\n"), config)
    config = feed({"s": {"checks": [{"rule": "pattern", "pattern": "iban"}]}})
    with pytest.raises(ConfigError, match="iban"):
        build_schema(config)


def test_parse_error_mid_file(tmp_path: Path) -> None:
    """A malformed line after good chunks: the report carries the ParseError and its line."""
    path = write(tmp_path, MEMBERS_CSV + "123-45-6789,1,2,3,4\n")
    report = validate_file(path, MEMBERS, chunk_rows=2)
    assert report.parse_error is not None and report.parse_error.line == 7
    assert report.outcomes == [] and report.failed
    assert "6789" not in str(report.parse_error)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    """An empty file is a parse error; a header-only file is 0 rows that pass."""
    report = validate_file(write(tmp_path, "", "empty.csv"), MEMBERS)
    assert report.parse_error is not None and str(report.parse_error) == "file is empty"
    report = validate_file(write(tmp_path, "ssn,phone,state,member_id\n"), MEMBERS)
    assert report.rows == 0 and report.parse_error is None
    assert all(o.passed for o in report.outcomes) and not report.failed


def test_formats_bom_latin1_semicolon_no_header(tmp_path: Path) -> None:
    """The feed's format is used: BOM, Latin-1, ';' and no header (declared names in order)."""
    config = feed({"ssn": {"required": True}, "city": {"checks": [
        {"rule": "in_list", "values": ["Köln", "Zürich"]}]}},
        delimiter=";", encoding="latin-1", header=False)
    path = tmp_path / "l1.csv"
    path.write_bytes("123-45-6789;Köln\n;Zürich\n987-65-4321;\"Genève; CH\"\n".encode("latin-1"))
    report = validate_file(path, config)
    assert report.columns == ["ssn", "city"]
    assert outcome(report, "ssn__required").rows == [2]
    assert outcome(report, "city__in_list").rows == [3]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfssn\n123-45-6789\n")
    report = validate_file(bom, feed({"ssn": {"required": True}}))
    assert report.columns == ["ssn"] and not report.failed
    report = validate_file(bom, feed({"ssn": {"required": True}}), fmt=CsvFormat())
    assert not report.failed


def test_raw_ssn_never_appears_in_report_or_markdown(tmp_path: Path) -> None:
    """Masking holds everywhere: outcomes, messages, repr and the markdown table."""
    secrets = ["000-12-3456", "987-65-4321", "12345678", "666-66-6666"]
    csv = "ssn,note\n" + "".join(f"{s},x\n" for s in secrets)
    config = feed({"ssn": {"required": True, "checks": [
        {"rule": "pattern", "pattern": "ssn"},
        {"rule": "in_list", "values": ["123-45-6789"], "severity": "warning"}]}})
    report = validate_file(write(tmp_path, csv), config, chunk_rows=3)
    assert outcome(report, "ssn__pattern").failures == 4
    texts = [repr(report), render_markdown(report.outcomes)]
    for o in report.outcomes:
        texts.extend([o.message, *o.samples, *map(str, asdict(o).values())])
    for secret in secrets:
        digits = secret.replace("-", "")
        for text in texts:
            assert secret not in text and digits not in text


def test_render_markdown(tmp_path: Path) -> None:
    """A header row and one row per outcome, with results, rows and code-span samples."""
    report = validate_file(write(tmp_path, MEMBERS_CSV), MEMBERS)
    md = render_markdown(report.outcomes)
    lines = md.strip().splitlines()
    assert lines[0] == "| check | severity | result | failures | data rows | samples (masked) |"
    assert len(lines) == 2 + len(report.outcomes) + 2  # and the note on data rows
    assert lines[-1] == "_Data rows count from 1, the first row after the header._"
    row = "| ssn__pattern | failure | failed | 2 | 2, 4 | `***-**-3456`, `***-**-4321` |"
    assert row in md
    missing = validate_file(write(tmp_path, "x\n1\n"), MEMBERS)
    assert "| missing |" in render_markdown(missing.outcomes)
    assert render_markdown([]) == "_No checks._"


def test_200k_rows_stream_in_chunks(tmp_path: Path) -> None:
    """A 200k-row file validates chunk by chunk (sanity only, no timing)."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("ssn,state\n")
        for i in range(200_000):
            fh.write(f"{100 + i % 500:03d}-{10 + i % 80:02d}-{1000 + i % 8000:04d},"
                     f"{'CA' if i % 1000 else 'XX'}\n")
    config = feed({"ssn": {"required": True, "checks": [{"rule": "pattern", "pattern": "ssn"}]},
                   "state": {"checks": [{"rule": "in_list", "values": "us_states"}]}})
    report = validate_file(path, config, chunk_rows=50_000)
    assert report.rows == 200_000
    assert outcome(report, "ssn__pattern").passed
    state = outcome(report, "state__in_list")
    assert state.failures == 200 and state.rows[:3] == [1, 1001, 2001]
