"""No PII reaches Dagster's storage, whatever a file holds: a file name with an SSN in it, a
custom rule whose exception quotes a row, a file with no header line, a failing rule. After the
sensor and the jobs ran in a real instance, no run tag, partition key, event, check result or
queued message holds a clear SSN or phone number; the ledger keeps the type and masked text."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from pvt_dagster.cli import main
from pvt_dagster.definitions import build_definitions
from pvt_dagster_tests.defs.test_end_to_end import tick
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes

CLEAR = ["123-45-6789", "234-56-7890", "345-67-8901", "555-123-4567", "555-234-5678",
         "5553456789", "Jane Roe"]
RULE = "pvt_dagster_tests.validation.custom_rules:explode_on_rows"


SHEET_FEED = """\
      sheets:
        source: drop
        pattern: "sheet_*.xlsx"
        decrypt: none
        format: {type: excel}
        columns:
          ssn: {required: true}
"""


def _bad_workbook(path: Path) -> None:
    """An .xlsx whose number cell holds an SSN: openpyxl's ValueError then quotes it."""
    book = openpyxl.Workbook()
    book.active.append(["ssn", "n"])
    book.active.append(["x", 5])
    plain = path.with_suffix(".tmp")
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="B2"[^>]*>.*?</c>',
                              b'<c r="B2" t="n"><v>123-45-6789</v></c>', data)
            dst.writestr(item, data)
    plain.unlink()


def _stored_text(instance: dg.DagsterInstance) -> str:
    """Everything the instance keeps about runs: tags, partitions, every event."""
    parts = []
    for run in instance.get_runs():
        parts.append(json.dumps(dict(run.tags)))
        parts.extend(repr(entry) for entry in instance.all_logs(run.run_id))
    for name in ("acme__members", "acme__plain", "acme__sheets"):
        parts.extend(instance.get_dynamic_partitions(name))
    return "\n".join(parts)


def test_nothing_in_clear_reaches_dagster(intake_env: IntakeEnv,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    intake_env.config_path.write_text(intake_env.config_path.read_text().replace(
        "        columns:\n          ssn: {required: true}\n",
        f"        columns:\n          ssn: {{required: true}}\n          name: {{}}\n"
        f"        file_checks: [{{rule: custom, function: \"{RULE}\"}}]\n") + SHEET_FEED)
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_123-45-6789.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("members_bad.csv.pgp", csv_bytes([["1", "2345-67-890", "", "CA"]]))
    intake_env.drop_plain("plain_rule.csv", b"ssn,name\n234-56-7890,Jane Roe\n")
    intake_env.drop_plain("plain_noheader.csv", b"345-67-8901,Jane Roe\n123-45-6789,x\n")
    _bad_workbook(intake_env.inbox / "sheet_bad.xlsx")
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        requests = tick(defs, instance, intake_env).run_requests or []
        assert len(requests) == 5
        for request in requests:
            job = defs.resolve_job_def(request.job_name or "")
            job.execute_in_process(partition_key=request.partition_key, instance=instance,
                                   tags=request.tags, raise_on_error=False)
        stored = _stored_text(instance)
    assert "members_xxx-xx-6789.csv.pgp" in stored  # the key names the file, masked
    for clear in CLEAR:
        assert clear not in stored, clear
    ledger = intake_env.intake().ledger
    files = {r.name: r for r in ledger.list_files()}
    assert files["members_123-45-6789.csv.pgp"].status == "delivered"  # name kept in ledger
    rule_error = files["plain_rule.csv"].error or ""
    assert "ValueError" in rule_error and "Jane" not in rule_error
    sheet = files["sheet_bad.xlsx"]
    assert sheet.status == "failed" and "ValueError" in (sheet.error or "")
    noheader = files["plain_noheader.csv"]
    assert noheader.status == "failed" and "no header line" in (noheader.error or "")
    assert main(["--config", str(intake_env.config_path), "messages", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)
    for clear in CLEAR:
        assert clear not in out, clear
