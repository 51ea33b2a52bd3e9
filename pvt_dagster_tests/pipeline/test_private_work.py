"""The PVT home stays private: folders that already exist are tightened to 0700, vault copies
are read-only once written, and a file's decrypted plaintext leaves ``work/`` once nothing needs
it (delivered, or failed or blocked after decryption), decrypted again from the vault when a
replay needs it, unless ``work: {keep_plaintext: true}``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pvt_dagster.cli import main
from pvt_dagster.pipeline.replay import prepare_replay
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily, run_file

BAD_SSN = [["1", "not-an-ssn", "(555) 123-4567", "CA"]]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_folders_are_tightened_and_vault_copies_are_read_only(
        intake_env: IntakeEnv) -> None:
    home = intake_env.root / "home"
    loose = [home, home / "vault", home / "work", home / "vault" / "acme" / "members",
             home / "work" / "decrypted" / "acme" / "members", home / "work" / "scrubbed"]
    for folder in loose:
        folder.mkdir(parents=True, exist_ok=True)
    for folder in loose:
        os.chmod(folder, 0o755)
    intake_env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    assert status == "delivered"
    for folder in [*loose, home / "work" / "scrubbed" / "acme" / "members"]:
        assert _mode(folder) == 0o700, folder
    assert _mode(intake.layout.vault_path(key)) == 0o400
    assert _mode(intake.layout.scrubbed_path(key)) == 0o600


def test_plaintext_leaves_work_once_delivered_and_a_replay_decrypts_it_again(
        intake_env: IntakeEnv) -> None:
    intake_env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    assert status == "delivered"
    plaintext = intake.layout.decrypted_path(key)
    assert not plaintext.exists() and intake.layout.scrubbed_path(key).is_file()
    rows = read_daily(intake_env.out)
    sha = intake.ledger.get_file(key).decrypted_sha256
    for stage in ("validated", "scrubbed"):
        todo = prepare_replay(intake, key, from_stage=stage, user="op")
        assert run_file(intake, todo.key, from_stage=todo.from_stage) == "delivered"
        assert not plaintext.exists()
    assert intake.ledger.get_file(key).decrypted_sha256 == sha
    assert read_daily(intake_env.out) == rows
    config = str(intake_env.config_path)
    assert main(["--config", config, "ledger", "verify", "--files"]) == 0


def test_blocked_file_leaves_no_plaintext_and_replays_from_validated(
        intake_env: IntakeEnv) -> None:
    intake_env.drop_encrypted("members_bad.csv.pgp", csv_bytes(BAD_SSN))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    record = intake.ledger.get_file(key)
    assert (status, record.stage) == ("failed", "validated")
    assert not intake.layout.decrypted_path(key).exists()
    todo = prepare_replay(intake, key, from_stage="validated", user="op")
    assert run_file(intake, todo.key, from_stage=todo.from_stage) == "failed"
    assert intake.ledger.get_file(key).error == record.error  # blocked again, same reason
    assert not intake.layout.decrypted_path(key).exists()


def test_keep_plaintext_keeps_it(intake_env: IntakeEnv) -> None:
    text = intake_env.config_path.read_text()
    intake_env.config_path.write_text(text.replace("clients:\n", "work: {keep_plaintext: true}\n"
                                                   "clients:\n", 1))
    intake_env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    assert status == "delivered"
    plaintext = intake.layout.decrypted_path(key)
    assert plaintext.is_file() and _mode(plaintext) == 0o600
