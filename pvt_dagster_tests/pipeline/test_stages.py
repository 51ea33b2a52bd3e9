"""The whole path without Dagster, on real gpg-encrypted files in a local drop folder:
delivery, failure rules, reruns, duplicates and the bad inputs the first issue lists."""

from __future__ import annotations

import json

from pvt_dagster.cli.output import file_story_json
from pvt_dagster.transport import sha256_file
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import poll, process_all, read_daily, run_file, settle

BAD_SSN = "000-12-345"


def test_clean_file_is_delivered_scrubbed_and_archived(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_encrypted("members_2026-11-01.csv.pgp", csv_bytes(GOOD_ROWS))
    statuses = process_all(intake)
    assert list(statuses.values()) == ["delivered"]
    (key,) = statuses
    record = intake.ledger.get_file(key)
    assert record.stage == "delivered" and record.rows == 3 and record.error is None
    assert sha256_file(intake.layout.vault_path(key)) == record.raw_sha256
    rows = read_daily(intake_env.out)
    assert [r["ssn"] for r in rows] == ["123456789", "234567890", "345678901"]
    assert [r["member_id"] for r in rows] == ["000007", "000008", "000009"]
    assert {r["state"] for r in rows} == {"CA", "NY", "TX"}
    assert {r["_pvt_key"] for r in rows} == {key}
    assert not list(intake_env.inbox.iterdir())
    assert (intake_env.root / "archive" / "members_2026-11-01.csv.pgp").is_file()
    assert intake.ledger.verify_chains() == []
    stages = [e.stage for e in intake.ledger.events(key) if e.outcome == "ok"]
    assert stages[:2] == ["raw", "raw"] and stages[-1] == "delivered"


def test_failure_rule_stops_at_validated_and_masks_samples(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    rows = [*GOOD_ROWS, ["10", BAD_SSN, "(555) 123-4567", "CA"]]
    intake_env.drop_encrypted("members_bad.csv.pgp", csv_bytes(rows))
    ((key, status),) = process_all(intake).items()
    record = intake.ledger.get_file(key)
    assert (status, record.stage) == ("failed", "validated")
    assert "ssn__pattern" in (record.error or "")
    assert read_daily(intake_env.out) == []
    story = json.dumps(file_story_json(intake.ledger, record))
    assert BAD_SSN not in story and "123-45-6789" not in story
    ssn_check = next(c for c in intake.ledger.check_results(key) if c.check_name == "ssn__pattern")
    assert (ssn_check.passed, ssn_check.failures, ssn_check.rows) == (False, 1, [4])
    assert any(m.severity == "failure" for m in intake.ledger.messages(file_key=key))


def test_rerun_gives_identical_outputs_and_no_duplicate_rows(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    ((key, _),) = process_all(intake).items()
    first = (intake.ledger.get_file(key).decrypted_sha256,
             sha256_file(intake.layout.scrubbed_path(key)), read_daily(intake_env.out))
    for stage in ("raw", "validated", "delivered"):  # validated: the plaintext decrypted again
        assert run_file(intake, key, from_stage=stage) == "delivered"
        assert not intake.layout.decrypted_path(key).exists()
    again = (intake.ledger.get_file(key).decrypted_sha256,
             sha256_file(intake.layout.scrubbed_path(key)), read_daily(intake_env.out))
    assert again == first
    assert intake.ledger.verify_chains() == []


def test_same_name_twice_with_different_content_keeps_both(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_encrypted("members_same.csv.pgp", csv_bytes(GOOD_ROWS[:1]))
    first = process_all(intake)
    intake_env.drop_encrypted("members_same.csv.pgp", csv_bytes(GOOD_ROWS[1:]))
    second = process_all(intake)
    assert set(first.values()) == set(second.values()) == {"delivered"}
    assert set(first).isdisjoint(second)
    assert len(read_daily(intake_env.out)) == 3
    assert {r.name for r in intake.ledger.list_files()} == {"members_same.csv.pgp"}


def test_same_bytes_again_is_rejected_as_duplicate(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    payload = intake_env.drop_encrypted("members_dup.csv.pgp", csv_bytes(GOOD_ROWS)).read_bytes()
    process_all(intake)
    intake_env.drop_plain("members_dup2.csv.pgp", payload)
    ((key, status),) = process_all(intake).items()
    assert status == "rejected"
    assert "duplicate" in (intake.ledger.get_file(key).error or "")
    assert (intake_env.inbox / "members_dup2.csv.pgp").exists()  # left at the source
    assert len(read_daily(intake_env.out)) == 3


def test_missing_required_column_fails_validation(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    data = csv_bytes([["1", "(555) 123-4567", "CA"]], columns=["member_id", "phone", "state"])
    intake_env.drop_encrypted("members_nossn.csv.pgp", data)
    ((key, status),) = process_all(intake).items()
    assert (status, intake.ledger.get_file(key).stage) == ("failed", "validated")
    required = next(c for c in intake.ledger.check_results(key) if c.check_name == "ssn__required")
    assert not required.passed and "missing" in required.message


def test_file_encrypted_to_another_key_fails_at_decrypt(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_encrypted("members_foreign.csv.pgp", csv_bytes(GOOD_ROWS), to_other_key=True)
    ((key, status),) = process_all(intake).items()
    record = intake.ledger.get_file(key)
    assert (status, record.stage) == ("failed", "raw")
    assert record.error and "key" in record.error.lower()
    assert not intake.layout.decrypted_path(key).exists()
    assert intake.ledger.events(key)[-1].outcome == "error"


def test_malformed_csv_fails_with_a_line_number_and_error_checks(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    data = csv_bytes(GOOD_ROWS) + b"11,456-78-9012,5551234567,CA,extra,fields\n"
    intake_env.drop_encrypted("members_broken.csv.pgp", data)
    ((key, status),) = process_all(intake).items()
    record = intake.ledger.get_file(key)
    assert (status, record.stage) == ("failed", "decrypted")
    assert "line 5" in (record.error or "")
    results = intake.ledger.check_results(key)
    assert results and all(not c.passed and c.severity == "failure" for c in results)


def test_empty_file_is_rejected_and_left_at_the_source(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_plain("members_empty.csv.pgp", b"")
    assert settle(intake) == []
    (record,) = intake.ledger.list_files()
    assert record.status == "rejected" and "empty" in (record.error or "")
    assert (intake_env.inbox / "members_empty.csv.pgp").exists()


def test_growing_file_is_never_ready_while_it_grows(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    path = intake_env.drop_plain("plain_growing.csv", b"ssn\n123-45-6789\n")
    for step in range(1, 4):
        with path.open("ab") as handle:
            handle.write(b"234-56-7890\n")
        assert poll(intake, seconds_later=step).ready == []
    assert [r.name for r in poll(intake, seconds_later=10).ready] == ["plain_growing.csv"]


def test_hostile_names_get_safe_keys_and_keep_their_names(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    names = ["members_ with spaces .csv.pgp", "members_café résumé.csv.pgp",
             "members_..%2F..evil...csv.pgp"]
    for name in names:
        intake_env.drop_encrypted(name, csv_bytes(GOOD_ROWS))
    statuses = process_all(intake)
    assert list(statuses.values()) == ["delivered"] * 3  # each encryption differs: no duplicate
    for record in intake.ledger.list_files():
        slug = record.key.rsplit("/", 1)[1]
        assert "..." not in record.key and "/" not in slug and " " not in slug
        assert intake.layout.vault_path(record.key).resolve().is_relative_to(intake.config.home)
    assert sorted(r.name for r in intake.ledger.list_files()) == sorted(names)


def test_plain_feed_delivers_and_refuses_pgp_data(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    intake_env.drop_plain("plain_ok.csv", b"ssn\n123-45-6789\n")
    intake_env.drop_encrypted("plain_sealed.csv", b"ssn\n234-56-7890\n")
    statuses = {intake.ledger.get_file(k).name: s for k, s in process_all(intake).items()}
    assert statuses == {"plain_ok.csv": "delivered", "plain_sealed.csv": "failed"}
    sealed = next(r for r in intake.ledger.list_files() if r.name == "plain_sealed.csv")
    assert "PGP" in (sealed.error or "")


def test_file_changed_after_settling_waits_and_gets_a_fresh_run(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    path = intake_env.drop_plain("plain_late.csv", b"ssn\n123-45-6789\n")
    (ready,) = settle(intake)
    with path.open("ab") as handle:
        handle.write(b"234-56-7890\n")
    assert run_file(intake, ready.key) == "discovered"
    record = intake.ledger.get_file(ready.key)
    assert record.run_seq == 1 and record.raw_sha256 is None
    assert not intake.layout.vault_path(ready.key).exists()
    assert poll(intake, seconds_later=2).ready == []  # changed: must settle again
    (again,) = poll(intake, seconds_later=3).ready
    assert again.key == ready.key
    assert run_file(intake, again.key) == "delivered"
    assert [r["ssn"] for r in read_daily(intake_env.out)] == ["123-45-6789", "234-56-7890"]
