"""The code location's arrival SLAs and retention: Dagster's last-update freshness check on
the raw asset of each feed with ``expect:``, the freshness sensor and ``pvt__sla`` (both on
by default), the daily ``pvt__purge`` schedule and job when a client sets retention; a feed
that never got a file fails its check and ``pvt__sla`` queues its ``sla_missed`` message."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.defs.retention import PURGE_JOB, PURGE_SCHEDULE
from pvt_dagster.defs.sla import FRESHNESS_SENSOR, SLA_SENSOR
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.support.fixtures import IntakeEnv

CHECK = dg.AssetCheckKey(dg.AssetKey(["acme", "members", "members_raw"]), "freshness_check")


def _configure(env: IntakeEnv) -> None:
    text = env.config_path.read_text()
    text = text.replace('        pattern: "members_*.csv.pgp"\n',
                        '        pattern: "members_*.csv.pgp"\n'
                        '        expect: {by: "00:01", days: [mon, tue, wed, thu, fri, sat, '
                        'sun]}\n', 1)
    text = text.replace("  acme:\n", "  acme:\n    retention: {vault_days: 90, work_days: 7, "
                        "outputs_days: null}\n", 1)
    env.config_path.write_text(text)


def test_nothing_is_added_without_expect_or_retention(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    names = {s.name for s in defs.sensors or []}
    assert not {FRESHNESS_SENSOR, SLA_SENSOR} & names
    assert not list(defs.schedules or [])
    assert not list(defs.asset_checks or [])


def test_sla_checks_sensors_and_purge_schedule_load(intake_env: IntakeEnv) -> None:
    _configure(intake_env)
    defs = build_definitions(str(intake_env.config_path))
    repo = defs.get_repository_def()
    checks = {key for c in defs.asset_checks or [] for key in c.check_keys}
    assert checks == {CHECK}  # the plain feed has no expect:
    for name in (FRESHNESS_SENSOR, SLA_SENSOR):
        assert repo.get_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    schedule = repo.get_schedule_def(PURGE_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * *", "UTC")
    assert schedule.job_name == PURGE_JOB
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    result = repo.get_job(PURGE_JOB).execute_in_process(
        resources={"pvt": PvtIntakeResource(config_path=str(intake_env.config_path))})
    assert result.success  # nothing is past its time yet


def test_a_feed_without_files_fails_its_check_and_gets_one_message(
        intake_env: IntakeEnv) -> None:
    _configure(intake_env)
    defs = build_definitions(str(intake_env.config_path))
    resources = {"pvt": PvtIntakeResource(config_path=str(intake_env.config_path))}
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, definitions=defs) as context:
            request = defs.resolve_sensor_def(FRESHNESS_SENSOR)(context)
        assert isinstance(request, dg.RunRequest)
        assert set(request.asset_check_keys or []) == {CHECK}
        job = defs.resolve_implicit_global_asset_job_def()
        run = job.get_subset(asset_check_selection={CHECK}, asset_selection=set()) \
            .execute_in_process(instance=instance, resources=resources)
        (evaluation,) = run.get_asset_check_evaluations()
        assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        for _ in range(3):
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                skip = defs.resolve_sensor_def(SLA_SENSOR)(context)
            assert isinstance(skip, dg.SkipReason)
            assert "acme/members" in (skip.skip_message or "") and "missed" in \
                (skip.skip_message or "")
    intake = Intake.from_path(intake_env.config_path)
    try:
        (message,) = [m for m in intake.ledger.messages() if m.kind == "sla_missed"]
    finally:
        intake.close()
    assert message.feed == "members" and message.stage == "sla"
