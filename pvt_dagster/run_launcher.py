"""The embedded instance's run launcher: run workers forked from a warm process.

Dagster's ``DefaultRunLauncher`` asks the code server to start each run, and the code server
starts a multiprocessing "spawn" child: a new interpreter that imports Dagster, pandas and
pyarrow again (one to two seconds here) before the run's first step. This launcher starts the
same worker function (``dagster._grpc.impl.start_run_in_subprocess``, the code server's own) in
a child of a multiprocessing forkserver that imported those libraries once. The code location
itself is not preloaded: every worker imports ``pvt_dagster`` and reads ``pvt.yaml`` afresh,
as a spawned worker does, so an edited config or upgraded package takes effect on the next run.

A run whose code location runs in another Python environment is passed to the
``DefaultRunLauncher``. The worker's host, pid and start time are kept in the run's
``pvt/run_worker`` tag: the UI's Terminate interrupts that pid (as the code server's
termination event does), and run monitoring asks whether it is still alive.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

from dagster import DefaultRunLauncher
from dagster._core.errors import DagsterLaunchFailedError
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._grpc.impl import IPCErrorMessage, start_run_in_subprocess
from dagster._grpc.types import ExecuteExternalJobArgs
from dagster._utils import get_run_crash_explanation
from dagster._utils.hosted_user_process import recon_job_from_origin
from dagster_shared.serdes import serialize_value

WORKER_TAG = "pvt/run_worker"

# Third-party modules every run worker imports: loaded once by the forkserver. pvt_dagster is
# deliberately absent (see the module docstring).
PRELOAD = (
    "dagster",
    "dagster._grpc.impl",
    "dagster._core.storage.sqlite_storage",
    "dagster._core.storage.event_log",
    "dagster._core.storage.runs",
    "dagster._core.storage.schedules",
    "dagster._core.storage.local_compute_log_manager",
    "sqlalchemy.orm",
    "gnupg",
    "pandas",
    "pandera.pandas",
    "pyarrow.csv",
    "pyarrow.compute",
)

_forkserver_lock = threading.Lock()
_forkserver: ForkServerContext | None = None


def forkserver() -> ForkServerContext:
    """This process's multiprocessing forkserver context, with ``PRELOAD`` set on first use."""
    global _forkserver
    with _forkserver_lock:
        if _forkserver is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            _forkserver = context
        return _forkserver


@dataclass(frozen=True)
class RunWorker:
    """Where a run's worker process runs: host, pid and the kernel's start time of that pid."""

    host: str
    pid: int
    started: str

    @classmethod
    def of(cls, run: DagsterRun) -> RunWorker | None:
        """The worker recorded on ``run``, or None when this launcher did not start it."""
        raw = run.tags.get(WORKER_TAG)
        if not raw:
            return None
        try:
            fields = json.loads(raw)
            return cls(str(fields["host"]), int(fields["pid"]), str(fields["started"]))
        except (ValueError, KeyError, TypeError):
            return None

    def tag(self) -> str:
        """The run tag's value."""
        return json.dumps({"host": self.host, "pid": self.pid, "started": self.started})

    @property
    def here(self) -> bool:
        """Whether the worker runs on this host."""
        return self.host == socket.gethostname()

    def alive(self) -> bool:
        """Whether the process is still running (not exited, not a zombie, pid not reused)."""
        return process_start(self.pid) == self.started


def process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (``/proc``), or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def same_environment(executable_path: str | None) -> bool:
    """Whether a code location's Python is this process's (same virtual environment)."""
    if not executable_path:
        return True
    return Path(executable_path).absolute().parent == Path(sys.executable).absolute().parent


class ForkServerRunLauncher(DefaultRunLauncher):
    """Launch each run in a worker forked from a process that already imported Dagster."""

    def launch_run(self, context: LaunchRunContext) -> None:
        """Fork the run's worker and return once it has loaded the run (as the code server does)."""
        origin = context.job_code_origin
        run = context.dagster_run
        if origin is None or run.remote_job_origin is None or not same_environment(
                origin.executable_path):
            super().launch_run(context)
            return
        args = serialize_value(ExecuteExternalJobArgs(
            job_origin=run.remote_job_origin, run_id=run.run_id,
            instance_ref=self._instance.get_ref()))
        server = forkserver()
        events = server.Queue()
        stop = server.Event()
        process = server.Process(target=start_run_in_subprocess,
                                 args=(args, recon_job_from_origin(origin), events, stop),
                                 name=f"dagster-run-{run.run_id}", daemon=False)
        process.start()
        pid = process.pid or 0
        worker = RunWorker(socket.gethostname(), pid, process_start(pid) or "")
        self._instance.add_run_tags(run.run_id, {WORKER_TAG: worker.tag()})
        self._wait_started(process, events,
                           time.monotonic() + self._instance.run_monitoring_start_timeout_seconds)
        self._run_ids.add(run.run_id)
        threading.Thread(target=self._watch, args=(run.run_id, process, events),
                         name=f"pvt-run-watch-{run.run_id[:8]}", daemon=True).start()

    @staticmethod
    def _wait_started(process: Any, events: Any, deadline: float) -> None:
        """Wait for the worker's first message: it loaded the run, or it could not; a worker
        that has said nothing by ``deadline`` (run monitoring's start timeout) is killed."""
        while True:
            try:
                message = events.get(timeout=0.05)
            except queue.Empty:
                if time.monotonic() > deadline and process.is_alive():
                    process.kill()
                    process.join()
                    raise DagsterLaunchFailedError(  # type: ignore[no-untyped-call]
                        f"Run worker (pid {process.pid}) did not load its run in time; "
                        "killed") from None
                if not process.is_alive():
                    crash = get_run_crash_explanation(
                        prefix=f"Run worker (pid {process.pid})", exit_code=process.exitcode)
                    raise DagsterLaunchFailedError(crash) from None  # type: ignore[no-untyped-call]
                continue
            if isinstance(message, IPCErrorMessage):
                raise DagsterLaunchFailedError(  # type: ignore[no-untyped-call]
                    message.message, serializable_error_info=message.serializable_error_info)
            return

    def _watch(self, run_id: str, process: Any, events: Any) -> None:
        """When the worker exits before its run finished (killed, crashed), fail the run."""
        process.join()
        events.close()
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return
        message = get_run_crash_explanation(
            prefix=f"Run worker for {run_id} (pid {process.pid})", exit_code=process.exitcode)
        self._instance.report_engine_event(message, run, cls=self.__class__)
        self._instance.report_run_failed(run)

    def terminate(self, run_id: str) -> bool:
        """Interrupt the run's worker (SIGINT, which Dagster turns into a clean cancel)."""
        run = self._instance.get_run_by_id(run_id)
        worker = RunWorker.of(run) if run is not None else None
        if run is None or worker is None:
            return bool(super().terminate(run_id))  # type: ignore[no-untyped-call]
        if run.is_finished or not worker.here:
            return False
        self._instance.report_run_canceling(run)
        try:
            if worker.alive():
                os.kill(worker.pid, signal.SIGINT)
                return True
        except ProcessLookupError:
            pass
        self._instance.report_run_canceled(run, f"Run worker (pid {worker.pid}) was not running")
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        """Run monitoring may ask whether a worker is alive."""
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        """RUNNING while the worker's process lives; FAILED once it is gone."""
        worker = RunWorker.of(run)
        if worker is None:
            # Launched through the code server, which reports its own worker's death.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "run worker of the code server")
        if not worker.here:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN,
                                        f"run worker on another host ({worker.host})")
        if worker.alive():
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED,
                                    f"run worker (pid {worker.pid}) is no longer running")


__all__ = ["PRELOAD", "WORKER_TAG", "ForkServerRunLauncher", "RunWorker"]
