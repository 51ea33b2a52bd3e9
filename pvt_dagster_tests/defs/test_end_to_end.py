"""The Dagster layer end to end, in process: the discovery sensor sees real gpg-encrypted files,
requests runs, and each feed job takes its file to ``delivered`` or stops at ``validated``
with an ERROR check, per file (partitioned check history)."""

from __future__ import annotations

import dagster as dg
import pytest

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.names import TAG_FEED, TAG_FILE
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.naming import partition_key, stage_asset_path
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import read_daily

SENSOR = "acme__drop__discover"


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, env: IntakeEnv) -> dg.SensorResult:
    """Evaluate the discovery sensor once and apply its partition requests, as the daemon does."""
    sensor = defs.resolve_sensor_def(SENSOR)
    resources = {"pvt": PvtIntakeResource(config_path=str(env.config_path))}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests or []:
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name,
                                        list(request.partition_keys))
    return result


def test_sensor_and_jobs_take_files_through_every_stage(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_good.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("members_bad.csv.pgp",
                              csv_bytes([*GOOD_ROWS, ["10", "000-00-0000", "", "CA"]]))
    with dg.instance_for_test() as instance:
        first = tick(defs, instance, intake_env)
        assert first.run_requests == []  # seen once: not yet quiesced
        second = tick(defs, instance, intake_env)
        assert len(second.run_requests or []) == 2
        outcomes = {}
        for request in second.run_requests or []:
            assert request.tags[TAG_FEED] == "acme/members"
            job = defs.resolve_job_def(request.job_name or "")
            result = job.execute_in_process(partition_key=request.partition_key,
                                            instance=instance, tags=request.tags,
                                            raise_on_error=False)
            evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
            outcomes[request.tags[TAG_FILE]] = (result.success, evaluations)
        third = tick(defs, instance, intake_env)
        assert third.run_requests == []  # nothing ready twice: the ledger moved on

        intake = intake_env.intake()
        by_name = {r.name: r for r in intake.ledger.list_files()}
        good, bad = by_name["members_good.csv.pgp"], by_name["members_bad.csv.pgp"]
        assert (good.status, bad.status, bad.stage) == ("delivered", "failed", "validated")
        good_ok, good_checks = outcomes[good.key]
        bad_ok, bad_checks = outcomes[bad.key]
        assert good_ok and not bad_ok
        assert good_checks["ssn__pattern"].passed
        assert not bad_checks["ssn__pattern"].passed
        assert bad_checks["ssn__pattern"].severity == dg.AssetCheckSeverity.ERROR
        assert bad_checks["ssn__pattern"].partition == partition_key(bad.key)
        assert {r["_pvt_key"] for r in read_daily(intake_env.out)} == {good.key}
        delivered = dg.AssetKey(stage_asset_path("acme", "members", "delivered"))
        assert instance.get_materialized_partitions(delivered) == {partition_key(good.key)}


def test_rerun_of_a_partition_delivers_no_duplicate_rows(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_rerun.csv.pgp", csv_bytes(GOOD_ROWS))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (request,) = tick(defs, instance, intake_env).run_requests or []
        job = defs.resolve_job_def(request.job_name or "")
        for _ in range(2):
            result = job.execute_in_process(partition_key=request.partition_key,
                                            instance=instance, tags=request.tags)
            assert result.success
        rows = read_daily(intake_env.out)
        assert len(rows) == len(GOOD_ROWS)
        assert intake_env.intake().ledger.verify_chains() == []


def test_unreachable_source_disables_only_its_sensor(intake_env: IntakeEnv,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1 of 127.0.0.1: the sftp source cannot connect.
    monkeypatch.setenv("PVT_TEST_REMOTE_PW", "unused")
    text = intake_env.config_path.read_text().replace(
        "    polling:",
        "      remote:\n        kind: sftp\n        host: 127.0.0.1\n        port: 1\n"
        "        username: u\n        password: {env: PVT_TEST_REMOTE_PW}\n"
        "        known_hosts: known_hosts\n        after_transfer: keep\n    polling:", 1)
    intake_env.config_path.write_text(text)
    defs = build_definitions(str(intake_env.config_path))
    resources = {"pvt": PvtIntakeResource(config_path=str(intake_env.config_path))}
    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("acme__remote__discover")
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = sensor(context)
        assert isinstance(result, dg.SkipReason)
        assert "cannot connect" in (result.skip_message or "")
        assert isinstance(tick(defs, instance, intake_env), dg.SensorResult)
    messages = intake_env.intake().ledger.messages()
    assert [m.kind for m in messages] == ["source_unavailable"]


def test_a_duplicate_is_rejected_without_failing_its_run(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    payload = intake_env.drop_encrypted("members_one.csv.pgp", csv_bytes(GOOD_ROWS)).read_bytes()
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (first,) = tick(defs, instance, intake_env).run_requests or []
        job = defs.resolve_job_def(first.job_name or "")
        assert job.execute_in_process(partition_key=first.partition_key, instance=instance,
                                      tags=first.tags).success
        intake_env.drop_plain("members_again.csv.pgp", payload)
        tick(defs, instance, intake_env)
        (second,) = tick(defs, instance, intake_env).run_requests or []
        result = job.execute_in_process(partition_key=second.partition_key, instance=instance,
                                        tags=second.tags, raise_on_error=False)
        assert result.success  # a refusal is not a failure: later stages are skipped
        assert result.get_asset_materialization_events() == []
        observed = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
        assert len(observed) == 1
        record = intake_env.intake().ledger.get_file(second.tags[TAG_FILE])
        assert record.status == "rejected" and first.tags[TAG_FILE] in (record.error or "")
        assert len(read_daily(intake_env.out)) == len(GOOD_ROWS)
