"""Replay and recovery: every work and output file deleted, every file replayed from the vault
with byte-identical results; Dagster reruns from any stage; ingest of a handed-over file;
``ledger verify --files`` naming broken outputs; the write-once vault."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from pvt_dagster.cli import main
from pvt_dagster.definitions import build_definitions
from pvt_dagster.domain import STAGES
from pvt_dagster.errors import StageOrderError, VaultConflictError, VaultIntegrityError
from pvt_dagster.naming import partition_key, stage_asset_path, stage_of
from pvt_dagster.pipeline.replay import INGEST_SOURCE, prepare_ingest, prepare_replay
from pvt_dagster.sources.base import RemoteEntry
from pvt_dagster.transport import receive, sha256_file
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily, run_file, settle

ROWS_B = [["11", "456-78-9012", "(555) 999-0000", "WA"]]


def _checksums(env: IntakeEnv, keys: list[str]) -> dict[str, str]:
    """sha256 of every work output (the plaintext, removed once delivered, by the sha256 its
    latest decryption recorded) and daily CSV."""
    intake = env.intake()
    sums = {}
    for key in keys:
        assert not intake.layout.decrypted_path(key).exists()
        decrypted = [e for e in intake.ledger.events(key)
                     if e.stage == "decrypted" and e.outcome == "ok"]
        sums[f"decrypted:{key}"] = str(decrypted[-1].output_sha256)
        sums[f"scrubbed:{key}"] = sha256_file(intake.layout.scrubbed_path(key))
    for path in sorted(env.out.glob("*.csv")):
        sums[f"out:{path.name}"] = sha256_file(path)
    return sums


def _delivered_two(env: IntakeEnv) -> list[str]:
    env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    env.drop_encrypted("members_b.csv.pgp", csv_bytes(ROWS_B))
    statuses = process_all(env.intake())
    assert set(statuses.values()) == {"delivered"}
    return [r.key for r in env.intake().ledger.list_files()]


def test_replay_everything_after_losing_work_and_outputs(intake_env: IntakeEnv,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    keys = _delivered_two(intake_env)
    before = _checksums(intake_env, keys)
    rows_before = read_daily(intake_env.out)
    shutil.rmtree(intake_env.root / "home" / "work")
    for path in intake_env.out.glob("*.csv"):
        path.unlink()
    config = str(intake_env.config_path)
    assert main(["--config", config, "ledger", "verify", "--files"]) == 1
    assert "scrubbed output work/scrubbed/" in capsys.readouterr().out
    for key in keys:
        assert main(["--config", config, "replay", key]) == 0
    out, err = capsys.readouterr()
    assert all(f"replayed {key}: delivered" in out for key in keys)
    assert all(f"  {stage:<10} ok" in err for stage in STAGES[1:])
    assert _checksums(intake_env, keys) == before
    assert read_daily(intake_env.out) == rows_before
    assert main(["--config", config, "ledger", "verify", "--files"]) == 0
    intake = intake_env.intake()
    for key in keys:
        record = intake.ledger.get_file(key)
        assert record.run_seq == 1 and record.status == "delivered"
        ok = {e.stage: e for e in intake.ledger.events(key) if e.outcome == "ok"}
        assert ok["decrypted"].output_sha256 == before[f"decrypted:{key}"]
        assert ok["scrubbed"].output_sha256 == before[f"scrubbed:{key}"]
        assert ok["decrypted"].input_name == f"vault/{key}"
        assert ok["decrypted"].output_name == f"work/decrypted/{key}"
        (action,) = intake.ledger.operator_actions(target=key)
        assert action.action == "replay" and action.user and action.details["from"] == "decrypted"
    assert intake.ledger.verify_chains() == []


def test_replay_refuses_a_changed_vault_and_a_missing_input(intake_env: IntakeEnv) -> None:
    (key, _) = _delivered_two(intake_env)
    intake = intake_env.intake()
    intake.layout.scrubbed_path(key).unlink()
    with pytest.raises(StageOrderError, match="is missing: replay"):
        prepare_replay(intake, key, from_stage="delivered", user="op")
    todo = prepare_replay(intake, key, from_stage="decrypted", user="op")
    assert run_file(intake, todo.key, from_stage=todo.from_stage) == "delivered"
    vault = intake.layout.vault_path(key)
    vault.chmod(0o600)
    vault.write_bytes(vault.read_bytes() + b"!")
    with pytest.raises(VaultIntegrityError, match="no longer matches"):
        prepare_replay(intake, key, user="op")


def test_vault_is_write_once(intake_env: IntakeEnv) -> None:
    (key, _) = _delivered_two(intake_env)
    intake = intake_env.intake()
    impostor = intake_env.drop_plain("impostor.csv", b"other bytes\n")
    source = intake.source("acme", "drop")
    stat = impostor.stat()
    entry = RemoteEntry(path="impostor.csv", name="impostor.csv", size=stat.st_size,
                        mtime=stat.st_mtime, kind="file")
    with pytest.raises(VaultConflictError, match="write-once"):
        receive(source, entry, intake.layout.vault_path(key))
    assert sha256_file(intake.layout.vault_path(key)) == intake.ledger.get_file(key).raw_sha256


@pytest.mark.parametrize("stage", ["decrypted", "validated", "scrubbed", "delivered"])
def test_dagster_rerun_from_a_stage_rebuilds_downstream(intake_env: IntakeEnv,
                                                        stage: str) -> None:
    keys = _delivered_two(intake_env)
    before = _checksums(intake_env, keys)
    rows_before = read_daily(intake_env.out)
    defs = build_definitions(str(intake_env.config_path))
    job = defs.resolve_job_def("acme__members__intake")
    selection = [dg.AssetKey(stage_asset_path("acme", "members", s))
                 for s in STAGES[STAGES.index(stage):]]
    intake = intake_env.intake()
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("acme__members", [partition_key(k) for k in keys])
        result = job.execute_in_process(partition_key=partition_key(keys[0]), instance=instance,
                                        asset_selection=selection)
        assert result.success
        done = {stage_of(m.asset_key.path[-1]) for m in result.get_asset_materialization_events()
                if m.asset_key}
        assert done == set(STAGES[STAGES.index(stage):])
    # Per-file outputs are byte-identical; the shared daily CSV holds the same rows (the
    # rerun file's rows are replaced, so they move to the end), never twice.
    after = _checksums(intake_env, keys)
    assert {k: v for k, v in after.items() if not k.startswith("out:")} == \
        {k: v for k, v in before.items() if not k.startswith("out:")}
    key_of = lambda r: sorted(r.items())  # noqa: E731
    assert sorted(read_daily(intake_env.out), key=key_of) == sorted(rows_before, key=key_of)
    assert intake.ledger.verify_chains() == []
    events = [e for e in intake.ledger.events(keys[0]) if e.outcome == "ok"]
    assert events[-1].stage == "delivered"


def test_ingest_a_handed_over_file(intake_env: IntakeEnv,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    handed = intake_env.root / "handed"
    handed.mkdir()
    intake_env.drop_encrypted("members_usb.csv.pgp", csv_bytes(GOOD_ROWS))
    path = handed / "members_usb.csv.pgp"
    shutil.move(intake_env.inbox / "members_usb.csv.pgp", path)
    config = str(intake_env.config_path)
    assert main(["--config", config, "ingest", "acme/members", str(path)]) == 0
    assert "ingested acme/members/" in capsys.readouterr().out
    assert path.is_file()  # the operator's copy is left alone
    intake = intake_env.intake()
    (record,) = intake.ledger.list_files()
    assert (record.status, record.source, record.name) == ("delivered", INGEST_SOURCE,
                                                           "members_usb.csv.pgp")
    assert record.raw_sha256 == sha256_file(path)
    assert [a.action for a in intake.ledger.operator_actions(target=record.key)] == ["ingest"]
    raw = next(e for e in intake.ledger.events(record.key) if e.stage == "raw")
    assert raw.input_name == f"{INGEST_SOURCE}:{path}"
    assert len(read_daily(intake_env.out)) == len(GOOD_ROWS)
    again = prepare_ingest(intake, intake.feed("acme", "members"), path, user="op")
    assert run_file(intake, again.key) == "rejected"  # same bytes: a duplicate
    assert main(["--config", config, "ingest", "acme/nope", str(path)]) == 2


def test_cli_replay_and_ingest_are_runs_in_the_dagster_instance(
        intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (key, _) = _delivered_two(intake_env)
    config = str(intake_env.config_path)
    assert main(["--config", config, "replay", key, "--from", "validated"]) == 0
    handed = intake_env.root / "handed"
    handed.mkdir()
    (handed / "members_usb.csv.pgp").write_bytes(
        intake_env.drop_encrypted("members_usb.csv.pgp", csv_bytes(ROWS_B)).read_bytes())
    (intake_env.inbox / "members_usb.csv.pgp").unlink()
    assert main(["--config", config, "ingest", "acme/members",
                 str(handed / "members_usb.csv.pgp")]) == 0
    ingested = next(r.key for r in intake_env.intake().ledger.list_files()
                    if r.source == INGEST_SOURCE)
    with dg.DagsterInstance.get() as instance:  # the DAGSTER_HOME the CLI used
        runs = {r.tags["pvt/file"]: r for r in instance.get_runs()}
        assert set(runs) == {key, ingested}
        assert runs[key].tags["pvt/replay"] == "validated"
        assert runs[ingested].tags["pvt/replay"] == "ingest"
        assert all(r.is_success for r in runs.values())
        check = dg.AssetCheckKey(dg.AssetKey(stage_asset_path("acme", "members", "validated")),
                                 "ssn__pattern")
        history = instance.event_log_storage.get_asset_check_execution_history(check, limit=5)
        assert {h.partition for h in history} == {partition_key(key), partition_key(ingested)}
        delivered = dg.AssetKey(stage_asset_path("acme", "members", "delivered"))
        assert instance.get_materialized_partitions(delivered) == {partition_key(key),
                                                                  partition_key(ingested)}
    # The stages' process runs name the Dagster run, so the ledger and the UI tell one story.
    replayed = {r.stage for r in intake_env.intake().ledger.process_runs(client="acme")
                if r.run_id == runs[key].run_id and r.file_key == key}
    assert replayed == {"validated", "scrubbed", "delivered"}
    assert runs[key].run_id in capsys.readouterr().out


def test_cli_replay_without_a_dagster_instance_exits_3(
        intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (key, _) = _delivered_two(intake_env)
    monkeypatch.delenv("DAGSTER_HOME")
    assert main(["--config", str(intake_env.config_path), "replay", key]) == 3
    assert "DAGSTER_HOME is not set" in capsys.readouterr().err
    record = intake_env.intake().ledger.get_file(key)
    assert record.run_seq == 0  # nothing recorded: no replay happened
    assert intake_env.intake().ledger.operator_actions(target=key) == []


def test_replay_from_raw_transfers_a_file_that_never_reached_the_vault(
        intake_env: IntakeEnv) -> None:
    intake_env.drop_encrypted("members_lost.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    (ready,) = settle(intake)
    # As a run that failed at raw leaves it: failed, nothing in the vault.
    intake.ledger.update_file(ready.key, status="failed", error="server went away")
    with pytest.raises(StageOrderError, match="replay it from raw"):
        prepare_replay(intake, ready.key, user="op")
    todo = prepare_replay(intake, ready.key, from_stage="raw", user="op")
    assert run_file(intake, todo.key, from_stage="raw") == "delivered"
    assert sha256_file(intake.layout.vault_path(ready.key)) == \
        intake.ledger.get_file(ready.key).raw_sha256
    assert len(read_daily(intake_env.out)) == len(GOOD_ROWS)


def test_a_failed_files_bytes_sent_again_are_not_a_duplicate(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    payload = intake_env.drop_encrypted("members_one.csv.pgp", csv_bytes(GOOD_ROWS)).read_bytes()
    ((first, _),) = process_all(intake).items()
    # As a file whose delivery failed leaves it: received (its sha256 known), then failed.
    intake.ledger.update_file(first, status="failed", error="delivery target was down")
    assert intake.ledger.get_file(first).raw_sha256 is not None
    intake_env.drop_plain("members_resent.csv.pgp", payload)
    assert list(process_all(intake).values()) == ["delivered"]  # not rejected
    intake_env.drop_plain("members_third.csv.pgp", payload)
    assert list(process_all(intake).values()) == ["rejected"]  # a delivered file's bytes
