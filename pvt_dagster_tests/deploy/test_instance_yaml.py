"""Every dagster.yaml under deploy/ and the repository's own: Dagster validates it, every class it
names imports and accepts its config, and a broken file is refused."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from dagster import DagsterInstance
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.s3 import S3ComputeLogManager
from dagster_docker import DockerRunLauncher
from dagster_postgres import DagsterPostgresStorage

from pvt_dagster.run_launcher import ForkServerRunLauncher
from pvt_dagster_tests.deploy.profiles import (
    DEPLOY,
    DUMMY_ENV,
    INSTANCE_YAMLS,
    PRODUCTION,
    TOP_LEVEL_YAML,
    configured_classes,
    instance_ref,
    load_yaml,
)

LAUNCHERS = {"default": ForkServerRunLauncher, "postgres": DefaultRunLauncher,
             "docker": DockerRunLauncher, "ecs": EcsRunLauncher}


@pytest.fixture
def dummy_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every variable the instance files read, set to a harmless value."""
    for name, value in DUMMY_ENV.items():
        monkeypatch.setenv(name, value)
    # boto3's default session keeps the first credentials it found: keep these out of it.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return DUMMY_ENV


def test_every_instance_yaml_under_deploy_is_tested() -> None:
    """A new profile cannot slip past these tests."""
    found = set(DEPLOY.rglob("dagster.yaml"))
    assert found == {p for name, p in INSTANCE_YAMLS.items() if name != "default"}


@pytest.mark.parametrize("profile", sorted(INSTANCE_YAMLS))
def test_instance_yaml_validates_with_its_classes(profile: str, tmp_path: Path,
                                                  dummy_env: dict[str, str]) -> None:
    """Dagster's instance schema accepts the file; each class accepts its own config."""
    ref = instance_ref(INSTANCE_YAMLS[profile], tmp_path)
    classes = configured_classes(ref)
    assert classes["run_coordinator_data"] is QueuedRunCoordinator
    assert classes["run_launcher_data"] is LAUNCHERS[profile]
    # the queue is checked every second: a ready file does not wait 2.5 s on average for it
    coordinator = ref.run_coordinator_data.rehydrate(QueuedRunCoordinator)
    assert coordinator.dequeue_interval_seconds == 1
    if profile != "default":  # the default keeps SQLite and local compute logs in DAGSTER_HOME
        assert classes["storage_data"] is DagsterPostgresStorage
        assert classes["compute_logs_data"] is S3ComputeLogManager


@pytest.mark.parametrize("profile", sorted(INSTANCE_YAMLS))
def test_run_monitoring_is_on_and_fits_the_launcher(profile: str, tmp_path: Path,
                                                    dummy_env: dict[str, str]) -> None:
    """Run monitoring is enabled; resuming is asked only of launchers that can resume."""
    ref = instance_ref(INSTANCE_YAMLS[profile], tmp_path)
    monitoring = ref.settings["run_monitoring"]
    assert isinstance(monitoring, dict)
    assert monitoring["enabled"] is True
    assert monitoring["start_timeout_seconds"] > 0
    assert monitoring["cancel_timeout_seconds"] > 0
    assert monitoring["max_runtime_seconds"] > 0
    resumes = monitoring.get("max_resume_run_attempts", 0)
    launcher_data = ref.run_launcher_data
    assert launcher_data is not None
    launcher = launcher_data.rehydrate()  # offline: Docker and ECS clients connect lazily
    if launcher.supports_resume_run:
        assert launcher.supports_check_run_worker_health
        assert resumes >= 1
    else:
        assert resumes == 0, f"{launcher} cannot resume runs; the instance would refuse it"


def test_default_instance_marks_a_dead_run_failed_within_two_minutes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The instance `make demo` uses (SQLite in DAGSTER_HOME) really builds, with run monitoring
    on, the monitoring daemon required, and a stuck start noticed within two minutes."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(TOP_LEVEL_YAML.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        assert "MONITORING" in instance.get_required_daemon_types()
        worst = (instance.run_monitoring_start_timeout_seconds
                 + instance.run_monitoring_poll_interval_seconds)
        assert worst <= 120
        # run workers are forked warm, and monitoring asks whether each one still lives
        assert isinstance(instance.run_launcher, ForkServerRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.get_settings("nux") == {"enabled": False}
        limits = {limit["key"]: limit["limit"]
                  for limit in instance.get_concurrency_config().run_queue_config
                  .tag_concurrency_limits}
        assert limits["pvt/feed"] == 1


@pytest.mark.parametrize("profile", ["docker", "ecs"])
def test_offline_parts_of_a_profile_build(profile: str, tmp_path: Path,
                                          dummy_env: dict[str, str]) -> None:
    """The run launcher, the coordinator and the S3 compute log manager build from the file
    without a Docker engine or AWS (they connect on first use)."""
    ref = instance_ref(INSTANCE_YAMLS[profile], tmp_path)
    assert ref.run_launcher_data is not None and ref.run_coordinator_data is not None
    assert isinstance(ref.run_launcher_data.rehydrate(), LAUNCHERS[profile])
    assert isinstance(ref.run_coordinator_data.rehydrate(), QueuedRunCoordinator)
    logs = ref.compute_logs_data.rehydrate()
    assert isinstance(logs, S3ComputeLogManager)


@pytest.mark.parametrize("profile", PRODUCTION)
def test_profiles_share_the_base_settings(profile: str) -> None:
    """Docker and ECS are the PostgreSQL profile plus a launcher: the rest does not drift."""
    base = load_yaml(INSTANCE_YAMLS["postgres"])
    other = load_yaml(INSTANCE_YAMLS[profile])
    for key in ("storage", "run_coordinator", "compute_logs", "run_retries", "sensors",
                "retention", "telemetry", "nux"):
        assert other[key] == base[key], key
    limits = other["concurrency"]["runs"]["tag_concurrency_limits"]
    assert limits == base["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {limit["key"] for limit in limits} == {"pvt/feed", "pvt/client"}


# --- a broken file is refused: these checks can fail -------------------------------------------

def _broken(tmp_path: Path, profile: str, old: str, new: str) -> Path:
    text = INSTANCE_YAMLS[profile].read_text()
    assert old in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_a_misspelt_instance_key_is_refused(tmp_path: Path, dummy_env: dict[str, str]) -> None:
    """Dagster's instance schema rejects an unknown run_monitoring key."""
    path = _broken(tmp_path, "postgres", "start_timeout_seconds:", "start_timeout:")
    with pytest.raises(DagsterInvalidConfigError, match="start_timeout"):
        instance_ref(path, tmp_path / "home")


def test_a_misspelt_launcher_key_is_refused(tmp_path: Path, dummy_env: dict[str, str]) -> None:
    """The DockerRunLauncher's own schema rejects an unknown key that the instance schema lets
    through (a class's config is free-form there)."""
    path = _broken(tmp_path, "docker", "    network: pvt-dagster", "    netwrk: pvt-dagster")
    ref = instance_ref(path, tmp_path / "home")  # passes the instance schema...
    with pytest.raises(DagsterInvalidConfigError, match="run_launcher_data"):
        configured_classes(ref)  # ...but not the launcher's


def test_a_missing_variable_is_refused(tmp_path: Path, dummy_env: dict[str, str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An unset variable fails the storage's config, naming the variable."""
    monkeypatch.delenv("PVT_DAGSTER_PG_PASSWORD")
    ref = instance_ref(INSTANCE_YAMLS["postgres"], tmp_path)
    with pytest.raises(DagsterInvalidConfigError, match="PVT_DAGSTER_PG_PASSWORD"):
        configured_classes(ref)


def test_resuming_on_the_default_launcher_is_refused(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The instance refuses max_resume_run_attempts on a launcher that cannot resume runs."""
    path = _broken(tmp_path, "default", "  poll_interval_seconds: 20",
                   "  poll_interval_seconds: 20\n  max_resume_run_attempts: 1")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(path.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with pytest.raises(Exception, match="does not support resuming runs"):
        DagsterInstance.get()
