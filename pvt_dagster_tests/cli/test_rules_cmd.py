"""``pvt rules preview`` (decrypts, validates and scrubs a local file, touching no ledger) and
``pvt rules impact`` (re-runs changed rules over the vault and lists what would change); the
scrubbed phase in ``pvt file show``; a row-count drop against the previous delivery. No clear
PII in any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all

BAD_ROWS = [["1", "000-12-3456", "12", "CA"], ["2", "234-56-7890", "555-234-5678", "zz"]]
CLEAR = ["123-45-6789", "234-56-7890", "000-12-3456", "5551234567", "(555) 123-4567"]


def run(capsys: pytest.CaptureFixture[str], env: IntakeEnv, *argv: str) -> tuple[int, str, str]:
    """Run ``pvt --config ...`` in process; exit status, stdout, stderr."""
    code = main(["--config", str(env.config_path), *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_no_clear_pii(text: str) -> None:
    """None of the test SSNs or phones appears unmasked."""
    for value in CLEAR:
        assert value not in text, value


def test_preview_encrypted_file(intake_env: IntakeEnv, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """An encrypted local file is decrypted, checked and scrubbed; the ledger is not created."""
    src = intake_env.drop_encrypted("members_p.csv.pgp", csv_bytes(GOOD_ROWS + BAD_ROWS))
    code, out, _ = run(capsys, intake_env, "rules", "preview", "acme/members", str(src), "--json")
    assert code == 1  # the bad SSN is a failure rule
    result = json.loads(out)
    assert (result["rows"], result["failed"], result["parse_error"]) == (5, True, None)
    checks = {c["check"]: c for c in result["validated"]}
    assert (checks["ssn__pattern"]["failures"], checks["ssn__pattern"]["rows"]) == (1, [4])
    assert checks["ssn__pattern"]["samples"] == ["***-**-3456"]
    assert {c["column"] for c in result["scrub_changes"]} == {"member_id", "ssn", "phone",
                                                              "state"}
    assert [c["check"] for c in result["scrubbed"]] == list(checks)
    assert_no_clear_pii(out)
    assert not (intake_env.root / "home" / "ledger.db").exists()
    assert src.exists()
    code, text, _ = run(capsys, intake_env, "rules", "preview", "acme/members", str(src))
    assert code == 1 and "ssn__pattern" in text and "Checks after scrubbing" in text
    assert_no_clear_pii(text)


def test_preview_clean_plain_file_and_unparseable(intake_env: IntakeEnv, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A plain clean file passes (exit 0); an unparseable one reports its line and reason."""
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS))
    code, out, _ = run(capsys, intake_env, "rules", "preview", "acme/members", str(good))
    assert code == 0 and "result: passed" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("member_id,ssn,phone,state\n1,2\n")
    code, out, _ = run(capsys, intake_env, "rules", "preview", "acme/members", str(bad),
                       "--json")
    result = json.loads(out)
    assert code == 1 and result["parse_error"] == "line 2: expected 4 fields, saw 2"
    assert all(not c["passed"] for c in result["validated"])


DECRYPT = "decrypt: {key: feed@test.example, passphrase: {env: PVT_TEST_FEED_PASSPHRASE}"


def with_decrypt_options(env: IntakeEnv, options: str) -> None:
    """Add ``options`` to acme/members' decrypt block."""
    text = env.config_path.read_text()
    assert DECRYPT in text
    env.config_path.write_text(text.replace(DECRYPT, f"{DECRYPT}, {options}"))


@pytest.mark.parametrize(("options", "refusal"), [
    ("max_output_bytes: 1KB", "passed the limit of max_output_bytes (1000)"),
    ("require_signature: true, trusted_signers: [" + "A" * 40 + "]",
     "is not signed, but its feed requires a signature"),
])
def test_preview_refuses_what_the_pipeline_refuses(intake_env: IntakeEnv,
                                                   capsys: pytest.CaptureFixture[str],
                                                   options: str, refusal: str) -> None:
    """Preview decrypts through the decrypted stage's code: a file past the feed's decrypt
    limit, or unsigned when the feed requires a signature, is refused with the same error the
    pipeline records, and nothing is validated or shown."""
    with_decrypt_options(intake_env, options)
    src = intake_env.drop_encrypted("members_p.csv.pgp", csv_bytes(GOOD_ROWS * 40))
    code, out, err = run(capsys, intake_env, "rules", "preview", "acme/members", str(src),
                         "--json")
    assert code == 1 and out == "" and refusal in err
    assert_no_clear_pii(err)
    intake = intake_env.intake()  # the same file through the pipeline (preview left it there)
    statuses = process_all(intake)
    assert list(statuses.values()) == ["failed"]
    (record,) = intake.ledger.list_files()
    assert refusal in (record.error or "")
    intake.close()


def test_impact_lists_files_whose_outcome_changes(intake_env: IntakeEnv,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """After a rule change, impact re-runs the vault copies and names what would change (a new
    check that passes is no change)."""
    intake_env.drop_encrypted("members_1.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("members_2.csv.pgp", csv_bytes([
        *GOOD_ROWS[:1], ["5", "345-67-8901", "555-345-6789", "zz"]]))
    intake = intake_env.intake()
    statuses = process_all(intake)
    intake.close()
    assert sorted(statuses.values()) == ["delivered", "delivered"]
    code, out, err = run(capsys, intake_env, "rules", "impact", "acme/members")
    assert code == 0 and "0 of 2 file(s) would change" in out and err.count("[") == 2
    text = intake_env.config_path.read_text().replace(
        "{rule: in_list, values: us_states, severity: warning}",
        "{rule: in_list, values: us_states, severity: warning, ignore_case: false}, "
        "{rule: length, max: 2, severity: failure}, {rule: in_list, values: [CA, TX, ny]}")
    intake_env.config_path.write_text(text)
    code, out, err = run(capsys, intake_env, "rules", "impact", "acme/members", "--json")
    result = json.loads(out)
    assert code == 0 and result["files"] == 2
    (changed,) = result["changed"]
    assert changed["key"].startswith("acme/members/") and "members_2" in changed["key"]
    assert (changed["then"], changed["now"]) == ("passed", "failed")
    assert changed["changes"] == [
        {"check": "state__in_list_2", "then": None, "now": {"passed": False, "failures": 1}}]
    code, out, _ = run(capsys, intake_env, "rules", "impact", "acme/members",
                       "--since", "2999-01-01")
    assert "0 of 0 file(s) would change" in out
    assert run(capsys, intake_env, "rules", "impact", "acme/members", "--since", "x")[0] == 2


def test_file_show_has_both_phases_and_drop_rule(intake_env: IntakeEnv,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The scrubbed phase's checks show in file show; a drop against the previous delivery
    fails the next file."""
    text = intake_env.config_path.read_text().replace(
        "        deliver:\n          - {kind: daily_csv, dir: out}\n      plain:",
        "        file_checks: [{rule: row_count_drop, max_drop_percent: 50}]\n"
        "        deliver:\n          - {kind: daily_csv, dir: out}\n      plain:", 1)
    intake_env.config_path.write_text(text)
    intake_env.drop_encrypted("members_1.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((first, status),) = process_all(intake).items()
    assert status == "delivered"
    intake_env.drop_encrypted("members_2.csv.pgp", csv_bytes(GOOD_ROWS[:1]))
    ((second, status),) = process_all(intake).items()
    intake.close()
    assert status == "failed"
    code, out, _ = run(capsys, intake_env, "file", "show", first, "--json")
    story = json.loads(out)
    phases = {(c["phase"], c["check"]) for c in story["check_results"]}
    assert ("scrubbed", "ssn__pattern") in phases
    assert ("validated", "file__row_count_drop") in phases
    assert_no_clear_pii(out)
    code, out, _ = run(capsys, intake_env, "file", "show", second, "--json")
    drop = next(c for c in json.loads(out)["check_results"]
                if c["check"] == "file__row_count_drop")
    assert not drop["passed"] and "1 rows against 3" in drop["message"]
    code, out, _ = run(capsys, intake_env, "file", "show", first)
    assert code == 0 and "scrubbed" in out and "validated" in out
