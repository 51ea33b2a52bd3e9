"""The production profiles as real Dagster instances on PostgreSQL (a throwaway database at
127.0.0.1:5432) with compute logs in S3 (moto's server): a run executes and is read back."""


from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import pytest
from dagster import OpExecutionContext
from dagster_aws.s3 import S3ComputeLogManager
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

from pvt_dagster_tests.deploy.fixtures import PgDatabase
from pvt_dagster_tests.deploy.profiles import DUMMY_ENV, INSTANCE_YAMLS, PRODUCTION
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3

pytestmark = pytest.mark.postgres

TAGS = {"pvt/client": "acme", "pvt/feed": "acme/members"}


@dg.op
def say_hello(context: OpExecutionContext) -> int:
    """Writes a line to stdout (a compute log) and returns a number."""
    print("hello from a production-profile run")
    context.log.info("logged through the instance's event log")
    return 42


@dg.job
def hello_job() -> None:
    """The trivial job run against each profile."""
    say_hello()


@pytest.fixture
def profile_env(dagster_pg_database: PgDatabase, moto_s3: MotoS3,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The variables of the instance files, pointing at the throwaway database and at a fresh
    bucket on moto's server; yields the bucket."""
    bucket = moto_s3.new_bucket()
    env = {**DUMMY_ENV, **dagster_pg_database.env(),
           "PVT_DAGSTER_S3_BUCKET": bucket, "PVT_DAGSTER_S3_PREFIX": "compute-logs",
           "PVT_DAGSTER_S3_ENDPOINT_URL": moto_s3.endpoint,
           "AWS_ACCESS_KEY_ID": moto_s3.access_key_id,
           "AWS_SECRET_ACCESS_KEY": moto_s3.secret_access_key, "AWS_DEFAULT_REGION": REGION}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # boto3's default session keeps the first credentials it found; start from a fresh one.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    yield bucket


def _instance(profile: str, home: Path) -> dg.DagsterInstance:
    """A DagsterInstance built from the profile's dagster.yaml, as DAGSTER_HOME would."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_YAMLS[profile].read_text())
    return dg.DagsterInstance.from_config(str(home))


LAUNCHERS = {"postgres": "DefaultRunLauncher", "docker": "DockerRunLauncher",
             "ecs": "EcsRunLauncher"}


@pytest.mark.parametrize("profile", PRODUCTION)
def test_a_run_on_each_profile_is_stored_and_read_back(
        profile: str, profile_env: str, moto_s3: MotoS3, tmp_path: Path) -> None:
    """The profile's instance builds on the real database (its run launcher too); a job runs
    against it; a second instance (as another process would) reads the run, its tags, events and
    queue limits back from PostgreSQL, and the run's stdout is in S3."""
    with _instance(profile, tmp_path / "a") as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert type(instance.run_launcher).__name__ == LAUNCHERS[profile]
        result = hello_job.execute_in_process(instance=instance, tags=TAGS)
        assert result.success
        run_id = result.run_id
    with _instance(profile, tmp_path / "b") as reader:
        record = reader.get_run_record_by_id(run_id)
        assert record is not None
        assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        assert {k: record.dagster_run.tags[k] for k in TAGS} == TAGS
        messages = [e.user_message for e in reader.all_logs(run_id)]
        assert "logged through the instance's event log" in messages
        limits = {(limit["key"], limit["limit"])
                  for limit in reader.get_concurrency_config().run_queue_config
                  .tag_concurrency_limits}
        assert limits == {("pvt/feed", 1), ("pvt/client", 3)}
    keys = [obj["Key"] for obj in moto_s3.client().list_objects_v2(
        Bucket=profile_env, Prefix="compute-logs/").get("Contents", [])]
    assert any(run_id in key for key in keys), keys
