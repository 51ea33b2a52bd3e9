"""The ``pvt`` command: the JSON shapes of the Contracts, exit codes, and `ledger verify`
finding a tampered manifest row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all

FILE_FIELDS = {"key", "client", "feed", "name", "source", "status", "stage", "bytes",
               "raw_sha256", "rows", "checks", "received_at", "updated_at", "error"}
EVENT_FIELDS = {"stage", "action", "input_sha256", "output_sha256", "bytes", "rows",
                "started_at", "finished_at", "outcome", "error", "prev_hash", "hash"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``pvt`` in process; returns exit status, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def delivered(intake_env: IntakeEnv) -> str:
    """One file taken all the way; its key."""
    intake_env.drop_encrypted("members_cli.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    assert status == "delivered"
    intake.close()
    return key


def test_files_json_shape(intake_env: IntakeEnv, delivered: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "files", "--json")
    assert code == 0
    (item,) = json.loads(out)
    assert set(item) >= FILE_FIELDS
    assert (item["key"], item["client"], item["feed"], item["status"], item["stage"]) == (
        delivered, "acme", "members", "delivered", "delivered")
    assert item["rows"] == 3 and len(item["raw_sha256"]) == 64
    assert set(item["checks"]) == {"failure", "warning", "information"}
    assert item["checks"]["failure"] == 0
    assert item["received_at"].endswith("Z") and item["updated_at"].endswith("Z")
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "files",
                       "--feed", "acme/plain", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_file_show_json_tells_the_whole_story(intake_env: IntakeEnv, delivered: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "file", "show",
                       delivered, "--json")
    assert code == 0
    story = json.loads(out)
    assert set(story) >= FILE_FIELDS
    assert story["events"] and all(set(e) >= EVENT_FIELDS for e in story["events"])
    assert story["events"][0]["prev_hash"] == "0" * 64
    for before, after in zip(story["events"], story["events"][1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    assert {c["check"] for c in story["check_results"]} >= {"ssn__pattern", "ssn__required"}
    assert any(s["action"] == "strip_hyphens" and s["rows_changed"] == 3
               for s in story["scrub_changes"])
    assert "123-45-6789" not in out and "123456789" not in out
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "file", "show", delivered)
    assert code == 0 and "Events:" in out and delivered in out


def test_ledger_verify_finds_a_tampered_row(intake_env: IntakeEnv, delivered: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = str(intake_env.config_path)
    assert run(capsys, "--config", config, "ledger", "verify", "--files")[0] == 0
    with sqlite3.connect(intake_env.root / "home" / "ledger.db") as db:
        db.execute("UPDATE manifest_events SET bytes = bytes + 1 "
                   "WHERE id = (SELECT min(id) FROM manifest_events)")
    code, out, _ = run(capsys, "--config", config, "ledger", "verify")
    assert code == 1 and delivered in out


def test_ledger_verify_finds_a_changed_vault_file(intake_env: IntakeEnv, delivered: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    vault = intake_env.root / "home" / "vault" / delivered
    vault.write_bytes(vault.read_bytes() + b"x")
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "ledger", "verify",
                       "--files")
    assert code == 1 and delivered in out and "sha256" in out


def test_exit_codes(intake_env: IntakeEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str]) -> None:
    config = str(intake_env.config_path)
    assert run(capsys, "--config", config, "file", "show", "acme/members/nope")[0] == 2
    assert run(capsys, "--config", config, "files", "--feed", "acme/nope")[0] == 2
    assert run(capsys, "--config", config, "no-such-command")[0] == 2
    assert run(capsys, "--config", config, "config", "check")[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("PVT_CONFIG", raising=False)
    code, _, err = run(capsys, "files")
    assert code == 3 and "pvt.yaml" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("clients:\n  acme:\n    sourcez: {}\n")
    code, out, _ = run(capsys, "--config", str(broken), "config", "check")
    assert code == 1 and ":3" in out and "sourcez" in out


def test_file_show_never_prints_terminal_control_characters(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    """A remote name is untrusted: escape sequences, CR and BEL in it are shown escaped (such a
    name is refused at discovery, and recorded with its name escaped)."""
    intake_env.drop_plain("plain_\x1b[2J\x1b[31mred\rname\x07.csv", b"ssn\n123-45-6789\n")
    intake = intake_env.intake()
    assert process_all(intake) == {}
    (key,) = [r.key for r in intake.ledger.list_files(client="acme")]
    intake.close()
    assert main(["--config", str(intake_env.config_path), "file", "show", key]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out
