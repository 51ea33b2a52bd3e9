"""What the Dagster UI shows of each file: partitions named by the file's name first, a file
blocked by a failure rule says "blocked by <check>" on validated (metadata), scrubbed and
delivered (observations) and in the step's failure, with no stack trace of ours; a stage that
fails still reports its seconds; a run for a partition no file has ends with a clear,
recorded error."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.names import TAG_FILE
from pvt_dagster.naming import partition_key, stage_of
from pvt_dagster_tests.defs.test_end_to_end import tick
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes

MEMBERS = ["acme", "members"]


def _events(result: dg.ExecuteInProcessResult, kind: str) -> list[dg.DagsterEvent]:
    return [e for e in result.all_events if e.event_type_value == kind]


def test_partitions_name_the_file_first(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_2026-11-23_clean.csv.pgp", csv_bytes(GOOD_ROWS))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (request,) = tick(defs, instance, intake_env).run_requests or []
        key = request.tags[TAG_FILE]
        assert key.startswith("acme/members/") and key.endswith("-members_2026-11-23_clean.csv.pgp")
        assert request.partition_key == partition_key(key)
        assert (request.partition_key or "").startswith("members_2026-11-23_clean.csv.pgp@")
        assert instance.get_dynamic_partitions("acme__members") == [request.partition_key]


def test_a_blocked_file_says_blocked_by_its_check_everywhere(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_bad.csv.pgp",
                              csv_bytes([*GOOD_ROWS, ["10", "000-00-0000", "", "CA"]]))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (request,) = tick(defs, instance, intake_env).run_requests or []
        job = defs.resolve_job_def(request.job_name or "")
        result = job.execute_in_process(partition_key=request.partition_key, instance=instance,
                                        tags=request.tags, raise_on_error=False)
        (run_failure,) = instance.all_logs(result.run_id,
                                           of_type=dg.DagsterEventType.RUN_FAILURE)
        run_failure_error = run_failure.get_dagster_event().event_specific_data.error
    assert not result.success  # the failure is not hidden
    materialized = {stage_of(e.asset_key.path[-1]): e
                    for e in result.get_asset_materialization_events() if e.asset_key}
    assert set(materialized) == {"raw", "decrypted", "validated"}
    validated = materialized["validated"].materialization.metadata
    assert validated["blocked_by"].value == "ssn__pattern"
    observed = {stage_of(e.asset_key.path[-1]): e.event_specific_data.asset_observation.metadata
                for e in _events(result, "ASSET_OBSERVATION") if e.asset_key}
    for stage in ("scrubbed", "delivered"):
        assert observed[stage]["blocked_by"].value == "ssn__pattern"
        assert "blocked by ssn__pattern" in observed[stage]["reason"].value
    (failure,) = _events(result, "STEP_FAILURE")
    error = failure.step_failure_data.error
    assert error.message.startswith("blocked by `ssn__pattern`: ")
    assert error.stack == [] and "File \"" not in error.to_string()  # no stack trace in the UI
    assert "DagsterAssetCheckFailedError" not in error.to_string()
    assert run_failure_error == error  # what the run's failure shows: the same, stackless
    assert failure.step_failure_data.user_failure_data.metadata["blocked_by"].value == \
        "ssn__pattern"


def test_a_failed_stage_still_reports_its_seconds(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_x.csv.pgp", csv_bytes(GOOD_ROWS), to_other_key=True)
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (request,) = tick(defs, instance, intake_env).run_requests or []
        job = defs.resolve_job_def(request.job_name or "")
        result = job.execute_in_process(partition_key=request.partition_key, instance=instance,
                                        tags=request.tags, raise_on_error=False)
    (observed,) = [e for e in _events(result, "ASSET_OBSERVATION")
                   if e.asset_key and stage_of(e.asset_key.path[-1]) == "decrypted"]
    metadata = observed.event_specific_data.asset_observation.metadata
    assert metadata["outcome"].value == "failed"
    assert isinstance(metadata["seconds"].value, float)


def test_a_made_up_partition_ends_with_a_clear_recorded_error(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    job = defs.resolve_job_def("acme__members__intake")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("acme__members", ["my-made-up-file"])
        result = job.execute_in_process(partition_key="my-made-up-file", instance=instance,
                                        raise_on_error=False)
    assert not result.success
    (failure,) = _events(result, "STEP_FAILURE")
    assert "is not a file the ledger knows" in failure.step_failure_data.error.message
    assert failure.step_failure_data.error.stack == []
    (error,) = intake_env.intake().ledger.errors()
    assert (error.error_class, error.category, error.stage) == ("UnknownFileError", "usage",
                                                                "raw")
