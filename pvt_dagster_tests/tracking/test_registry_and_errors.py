"""The process registry follows the config (name, type, tool, sources, targets, threshold),
each stage attempt is a process run, and ``pvt errors`` lists every registered error with its
class, category, stage, file, run and time (``--since``, ``--json``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pvt_dagster.cli import main
from pvt_dagster.cli.errors_cmd import parse_since
from pvt_dagster.errors import UsageError
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all
from pvt_dagster_tests.tracking.helpers import set_max_failures


def test_registry_and_process_runs(intake_env: IntakeEnv) -> None:
    set_max_failures(intake_env, 5)
    intake_env.drop_encrypted("members_ok.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    try:
        statuses = process_all(intake)
        by_name = {p.name: p for p in intake.ledger.processes()}
        runs = intake.ledger.process_runs(client="acme", feed="members")
    finally:
        intake.close()
    assert list(statuses.values()) == ["delivered"]
    raw = by_name["acme/members/raw"]
    assert (raw.type, raw.tool, raw.sources, raw.targets, raw.max_failures) == (
        "extract", "local", ["local:acme/drop"], ["vault"], 5)
    assert by_name["acme/members/delivered"].targets[0].startswith("daily_csv:")
    assert by_name["acme/plain/decrypted"].tool == "copy"
    assert by_name["acme/drop/discover"].type == "discover"
    assert sorted(r.stage for r in runs) == sorted(
        ["raw", "decrypted", "validated", "scrubbed", "delivered"])
    assert {r.status for r in runs} == {"completed"}
    assert len({r.run_id for r in runs}) == 1  # one Dagster run took the file through
    assert all(r.actor == "dagster" and r.finished_at for r in runs)


def test_errors_command(intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    intake_env.drop_encrypted("members_x.csv.pgp", csv_bytes(GOOD_ROWS), to_other_key=True)
    intake = intake_env.intake()
    try:
        (key,) = process_all(intake)
        (run_id,) = {r.run_id for r in intake.ledger.process_runs(client="acme")}
    finally:
        intake.close()
    config = str(intake_env.config_path)
    assert main(["--config", config, "errors", "--since", "1h", "--json"]) == 0
    (error,) = json.loads(capsys.readouterr().out)
    assert set(error) == {"id", "at", "client", "feed", "stage", "file_key", "run_id",
                          "error_class", "category", "message"}
    assert (error["error_class"], error["category"], error["stage"], error["file_key"],
            error["run_id"], error["feed"]) == (
        "NoSecretKeyError", "operational", "decrypted", key, run_id, "members")
    assert error["at"].endswith("Z")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert main(["--config", config, "errors", "--since", tomorrow, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--config", config, "errors", "--feed", "acme/members"]) == 0
    assert "NoSecretKeyError" in capsys.readouterr().out
    assert main(["--config", config, "errors", "--since", "yesterday"]) == 2


def test_parse_since() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    assert parse_since("2026-11-01T10:00:00Z", now) == datetime(2026, 11, 1, 10, tzinfo=UTC)
    with pytest.raises(UsageError):
        parse_since("soon", now)
