"""Batch runs (a feed's ``batch_size`` > 1): the ready files of a lane go to one run of the
feed's batch job, and each file still gets its own partition's materializations and check
evaluations, ledger chain, messages and failure; a file another run already took is never
taken twice; a batch that dies is recovered file by file by the discovery tick."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import dagster as dg
from dagster._core.events import DagsterEventType

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.batch import batch_files_of
from pvt_dagster.defs.dispatch import RUN_FAILURE_SENSOR
from pvt_dagster.defs.names import PARTITION_TAG, RUN_KEY_TAG, TAG_BATCH, TAG_FEED, TAG_FILE
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.naming import partition_key, stage_asset_path
from pvt_dagster_tests.defs.test_end_to_end import tick
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import read_daily

BAD_ROWS = [*GOOD_ROWS, ["10", "000-00-0000", "", "CA"]]  # fails the ssn failure rule


def _batched(env: IntakeEnv, size: int = 10, extra: str = "") -> dg.Definitions:
    """The test config with ``batch_size`` set on the members feed."""
    text = env.config_path.read_text().replace(
        "        source: drop\n        pattern: \"members_",
        f"        source: drop\n        batch_size: {size}\n        pattern: \"members_", 1)
    env.config_path.write_text(text.replace("    polling:", extra + "    polling:", 1))
    return build_definitions(str(env.config_path))


def _execute(defs: dg.Definitions, instance: dg.DagsterInstance,
             request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    """Run a requested run in this process, as the daemon would launch it."""
    job = defs.resolve_job_def(request.job_name or "")
    tags = {**request.tags, RUN_KEY_TAG: request.run_key or ""}
    if request.partition_key is not None:
        return job.execute_in_process(partition_key=request.partition_key, instance=instance,
                                      tags=tags, raise_on_error=False)
    return job.execute_in_process(run_config=request.run_config, instance=instance,
                                  tags=tags, raise_on_error=False)


def _queue(defs: dg.Definitions, instance: dg.DagsterInstance,
           request: dg.RunRequest) -> dg.DagsterRun:
    """Create the requested run without starting it (as one waiting in the queue)."""
    job = defs.resolve_job_def(request.job_name or "")
    tags = {**request.tags, RUN_KEY_TAG: request.run_key or ""}
    if request.partition_key is not None:
        tags[PARTITION_TAG] = request.partition_key
    return instance.create_run_for_job(job, run_config=request.run_config or None, tags=tags,
                                       status=dg.DagsterRunStatus.NOT_STARTED)


def _report_run_failure(defs: dg.Definitions, instance: dg.DagsterInstance, env: IntakeEnv,
                        run_id: str) -> None:
    """Evaluate the run-failure sensor on a failed run, as the daemon does."""
    run = instance.get_run_by_id(run_id)
    (failure,) = instance.all_logs(run_id, of_type=DagsterEventType.RUN_FAILURE)
    resources = {"pvt": PvtIntakeResource(config_path=str(env.config_path))}
    with dg.build_run_status_sensor_context(
            sensor_name=RUN_FAILURE_SENSOR, dagster_instance=instance, dagster_run=run,
            dagster_event=failure.dagster_event, resources=resources) as context:
        defs.resolve_sensor_def(RUN_FAILURE_SENSOR)(context.for_run_failure())


def test_one_run_takes_the_ready_files_and_isolates_a_bad_one(intake_env: IntakeEnv) -> None:
    defs = _batched(intake_env)
    names = ["members_a.csv.pgp", "members_b.csv.pgp", "members_c.csv.pgp"]
    intake_env.drop_encrypted(names[0], csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted(names[1], csv_bytes(BAD_ROWS))
    intake_env.drop_encrypted(names[2], csv_bytes(GOOD_ROWS[:2]))
    with dg.instance_for_test() as instance:
        assert tick(defs, instance, intake_env).run_requests == []  # seen once
        (request,) = tick(defs, instance, intake_env).run_requests
        assert request.job_name == "acme__members__batch" and request.partition_key is None
        assert request.tags[TAG_BATCH] == "acme/members" and request.tags[TAG_FEED] == \
            "acme/members"
        result = _execute(defs, instance, request)
        assert not result.success  # one file was blocked: the run says so

        run = instance.get_run_by_id(result.run_id)
        assert run is not None
        files = [key for key, _ in batch_files_of(run)]
        assert [k.rsplit("-", 1)[-1] for k in files] == ["members_a.csv.pgp",
                                                         "members_b.csv.pgp",
                                                         "members_c.csv.pgp"]
        ledger = intake_env.intake().ledger
        statuses = {key.rsplit("-", 1)[-1]: ledger.get_file(key).status for key in files}
        assert statuses == {"members_a.csv.pgp": "delivered", "members_b.csv.pgp": "failed",
                            "members_c.csv.pgp": "delivered"}
        good, bad = files[0], files[1]
        delivered = Counter(r["_pvt_key"] for r in read_daily(intake_env.out))
        assert delivered == {files[0]: len(GOOD_ROWS), files[2]: 2}  # each once

        # Each file's stages are materializations of its own partition, as a per-file run's.
        for stage in ("raw", "decrypted", "validated", "scrubbed", "delivered"):
            key = dg.AssetKey(stage_asset_path("acme", "members", stage))
            partitions = {r.partition_key for r in instance.fetch_materializations(
                key, limit=10).records}
            expected = {partition_key(files[0]), partition_key(files[2])}
            if stage in ("raw", "decrypted", "validated"):
                expected.add(partition_key(bad))
            assert partitions == expected, stage
        events = [r.event_log_entry.dagster_event for r in instance.get_records_for_run(
            result.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records]
        checks = [e.asset_check_evaluation_data for e in events if e is not None]
        by_partition = {(c.partition, c.check_name): c.passed for c in checks}
        assert by_partition[(partition_key(bad), "ssn__pattern")] is False
        assert by_partition[(partition_key(good), "ssn__pattern")] is True
        assert len(checks) == 4 * 3  # ssn required and pattern, phone, state; three files

        # The bad file's failure is its own: one message, naming the rule, for this run.
        (message,) = [m for m in ledger.messages(file_key=bad) if m.severity == "failure"]
        assert "ssn__pattern" in message.text and message.details["run_id"] == result.run_id
        assert not [m for m in ledger.messages(file_key=good) if m.severity == "failure"]
        failure = result.get_step_failure_events()[0].step_failure_data
        assert failure.user_failure_data is not None
        assert "1 of 3 file(s) did not finish" in (failure.user_failure_data.description or "")

        # The next file's first stages ran ahead, beside this file's later ones; deliveries
        # still happened one after another, in arrival order.
        def stage_times(key: str, stage: str) -> tuple[datetime, datetime]:
            events = [e for e in ledger.events(key) if e.stage == stage]
            return min(e.started_at for e in events), max(e.finished_at for e in events)

        assert stage_times(files[1], "raw")[0] < stage_times(files[0], "delivered")[1]
        assert stage_times(files[0], "delivered")[1] <= stage_times(files[2], "delivered")[0]

        # The batch reported each file itself: the run-failure backstop adds nothing.
        _report_run_failure(defs, instance, intake_env, result.run_id)
        assert not [m for m in ledger.messages() if m.kind == "run_failed"]

        # Nothing runs twice: the delivered and the failed are final.
        assert tick(defs, instance, intake_env).run_requests == []


def test_a_file_another_run_took_is_not_taken_again(intake_env: IntakeEnv) -> None:
    defs = _batched(intake_env)
    intake_env.drop_encrypted("members_one.csv.pgp", csv_bytes(GOOD_ROWS))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (single,) = tick(defs, instance, intake_env).run_requests
        assert single.job_name == "acme__members__intake"  # one ready file: its own run
        _queue(defs, instance, single)  # queued, not started: the file is still discovered

        intake_env.drop_encrypted("members_two.csv.pgp", csv_bytes(GOOD_ROWS))
        intake_env.drop_encrypted("members_three.csv.pgp", csv_bytes(GOOD_ROWS))
        tick(defs, instance, intake_env)
        (batch,) = tick(defs, instance, intake_env).run_requests
        taken = batch.run_config["ops"]["acme__members__files"]["config"]["files"]
        assert sorted(k.rsplit("-", 1)[-1] for k in taken) == ["members_three.csv.pgp",
                                                              "members_two.csv.pgp"]
        _queue(defs, instance, batch)

        intake_env.drop_encrypted("members_four.csv.pgp", csv_bytes(GOOD_ROWS))
        tick(defs, instance, intake_env)
        (last,) = tick(defs, instance, intake_env).run_requests
        assert last.tags[TAG_FILE].endswith("members_four.csv.pgp")  # the others are taken
        assert tick(defs, instance, intake_env).run_requests == [last]  # Dagster dedupes it


def test_a_batch_that_dies_is_recovered_file_by_file(intake_env: IntakeEnv) -> None:
    defs = _batched(intake_env, extra="    recovery: {grace_seconds: 0, max_retries: 1}\n")
    intake_env.drop_encrypted("members_x.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("members_y.csv.pgp", csv_bytes(GOOD_ROWS[:1]))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (batch,) = tick(defs, instance, intake_env).run_requests
        dead = _queue(defs, instance, batch)  # the worker died before any stage ran
        instance.report_run_failed(dead)
        _report_run_failure(defs, instance, intake_env, dead.run_id)  # each file it left
        ledger = intake_env.intake().ledger
        left = [m.file_key for m in ledger.messages() if m.kind == "run_failed"]
        assert sorted(k.rsplit("-", 1)[-1] for k in left if k) == ["members_x.csv.pgp",
                                                                   "members_y.csv.pgp"]
        (retry,) = tick(defs, instance, intake_env).run_requests  # both files, run again
        pairs = retry.run_config["ops"]["acme__members__files"]["config"]
        assert [k.rsplit("#", 1)[-1] for k in pairs["run_keys"]] == ["1", "1"]
        result = _execute(defs, instance, retry)
        assert result.success
        assert {ledger.get_file(k).status for k in pairs["files"]} == {"delivered"}
        assert tick(defs, instance, intake_env).run_requests == []


def test_only_feeds_with_a_batch_size_have_a_batch_job(intake_env: IntakeEnv) -> None:
    jobs = {j.name for j in build_definitions(str(intake_env.config_path)).resolve_all_job_defs()}
    assert "acme__members__intake" in jobs and "acme__members__batch" not in jobs
    jobs = {j.name for j in _batched(intake_env).resolve_all_job_defs()}
    assert {"acme__members__batch", "acme__members__intake"} <= jobs
    assert "acme__plain__batch" not in jobs
