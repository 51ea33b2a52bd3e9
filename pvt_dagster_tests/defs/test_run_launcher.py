"""The embedded instance's run launcher on a real instance and real processes: each run
worker is a child of the warm forkserver, the run records its worker, Terminate cancels it,
a killed worker fails its run at once, and run monitoring sees whether the worker lives."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.launcher import WorkerStatus
from dagster._core.test_utils import (
    create_run_for_test,
    in_process_test_workspace,
    poll_for_finished_run,
    poll_for_step_start,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceRequestContext

from pvt_dagster.run_launcher import (
    WORKER_TAG,
    ForkServerRunLauncher,
    RunWorker,
    process_start,
    same_environment,
)
from pvt_dagster_tests.support import launcher_jobs
from pvt_dagster_tests.support.procs import argv, parent_pid

LAUNCHER = {"module": "pvt_dagster.run_launcher", "class": "ForkServerRunLauncher"}


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A SQLite instance whose run launcher is ours."""
    with dg.instance_for_test(overrides={"run_launcher": LAUNCHER},
                              temp_dir=str(tmp_path)) as inst:
        assert isinstance(inst.run_launcher, ForkServerRunLauncher)
        yield inst


@pytest.fixture
def workspace(instance: dg.DagsterInstance) -> Iterator[WorkspaceRequestContext]:
    """The waiting job's code location, in this Python environment."""
    origin = LoadableTargetOrigin(executable_path=sys.executable,
                                  module_name=launcher_jobs.__name__,
                                  working_directory=os.getcwd())
    with in_process_test_workspace(instance, origin) as context:
        yield context


def _launch(instance: dg.DagsterInstance, workspace: WorkspaceRequestContext,
            seconds: float) -> str:
    """Create and launch a run of the waiting job; return its id once the worker loaded it."""
    location = workspace.get_code_location(workspace.code_location_names[0])
    remote = location.get_repository("__repository__").get_full_job("waiting")
    run = instance.create_run_for_job(
        job_def=launcher_jobs.waiting,
        run_config={"ops": {"wait": {"config": {"seconds": seconds}}}},
        remote_job_origin=remote.get_remote_origin(),
        job_code_origin=remote.get_python_origin())
    instance.launch_run(run.run_id, workspace)
    return run.run_id


def _worker(instance: dg.DagsterInstance, run_id: str) -> RunWorker:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    worker = RunWorker.of(run)
    assert worker is not None, run.tags
    return worker


def _events(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [e.message for e in instance.all_logs(run_id)]


def test_a_run_runs_in_a_forked_worker_that_it_records(
        instance: dg.DagsterInstance, workspace: WorkspaceRequestContext) -> None:
    run_id = _launch(instance, workspace, 0)
    worker = _worker(instance, run_id)
    run = poll_for_finished_run(instance, run_id, timeout=60)
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert worker.here
    assert f"Started process for run (pid: {worker.pid})." in _events(instance, run_id)
    deadline = time.monotonic() + 30
    while worker.alive() and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker exits just after writing RUN_SUCCESS
    assert not worker.alive()
    assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.FAILED


def test_terminate_cancels_the_running_worker(
        instance: dg.DagsterInstance, workspace: WorkspaceRequestContext) -> None:
    run_id = _launch(instance, workspace, 120)
    worker = _worker(instance, run_id)
    assert b"forkserver" in b" ".join(argv(parent_pid(worker.pid)))
    poll_for_step_start(instance, run_id)
    run = instance.get_run_by_id(run_id)
    assert run is not None
    assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    assert instance.run_launcher.terminate(run_id)
    run = poll_for_finished_run(instance, run_id, timeout=60)
    assert run.status == dg.DagsterRunStatus.CANCELED
    assert not instance.run_launcher.terminate(run_id)


def test_a_killed_worker_fails_its_run_at_once(
        instance: dg.DagsterInstance, workspace: WorkspaceRequestContext) -> None:
    run_id = _launch(instance, workspace, 120)
    worker = _worker(instance, run_id)
    poll_for_step_start(instance, run_id)
    started = time.monotonic()
    os.kill(worker.pid, signal.SIGKILL)
    run = poll_for_finished_run(instance, run_id, timeout=30)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert time.monotonic() - started < 30
    assert any(f"(pid {worker.pid})" in m and "SIGKILL" in m for m in _events(instance, run_id))


def test_a_run_whose_worker_is_gone_is_failed_by_monitoring_and_canceled_by_terminate(
        instance: dg.DagsterInstance) -> None:
    gone = RunWorker(socket.gethostname(), 2**22 + 7, "1")  # above Linux's largest pid
    run = create_run_for_test(instance, job_name="waiting", status=dg.DagsterRunStatus.STARTED,
                              tags={WORKER_TAG: gone.tag()})
    health = instance.run_launcher.check_run_worker_health(run)
    assert health.status == WorkerStatus.FAILED and str(gone.pid) in (health.msg or "")
    assert instance.run_launcher.terminate(run.run_id)
    after = instance.get_run_by_id(run.run_id)
    assert after is not None and after.status == dg.DagsterRunStatus.CANCELED
    elsewhere = RunWorker("another-host", os.getpid(), process_start(os.getpid()) or "")
    run = create_run_for_test(instance, job_name="waiting", status=dg.DagsterRunStatus.STARTED,
                              tags={WORKER_TAG: elsewhere.tag()})
    assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.UNKNOWN
    assert not instance.run_launcher.terminate(run.run_id)  # never signal a pid of another host


def test_the_worker_identity_survives_pid_reuse_and_bad_tags() -> None:
    me = RunWorker("h", os.getpid(), process_start(os.getpid()) or "")
    assert me.alive()
    assert not RunWorker("h", os.getpid(), "1").alive()  # same pid, another process
    assert process_start(2**22 + 7) is None
    run = dg.DagsterRun(job_name="j", tags={WORKER_TAG: me.tag()})
    assert RunWorker.of(run) == me
    assert RunWorker.of(dg.DagsterRun(job_name="j", tags={WORKER_TAG: "{not json"})) is None
    assert RunWorker.of(dg.DagsterRun(job_name="j")) is None


def test_only_this_python_environment_is_forked() -> None:
    assert same_environment(sys.executable)
    assert same_environment(None)
    assert not same_environment("/opt/elsewhere/bin/python")
