"""``dagster dev`` on a test config, as a user runs it: webserver, daemon (sensors, the queued
run coordinator) and code server, started as a subprocess group and stopped by its pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from pvt_dagster_tests.support.fixtures import IntakeEnv

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DagsterDev:
    """A running ``dagster dev``: its base URL and its instance folder (DAGSTER_HOME)."""

    url: str
    home: Path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_dagster_dev(config_path: Path, workdir: Path) -> Iterator[DagsterDev]:
    """``dagster dev`` on ``config_path`` with the repo's dagster.yaml, its instance and log
    (``dagster_dev.log``) under ``workdir``; yields its URL and instance folder once it
    answers, then stops it (SIGINT to the group, SIGKILL for what is left)."""
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "PVT_CONFIG": str(config_path), "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).parent / "dagster"
    log_path = workdir / "dagster_dev.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"dagster dev exited: {log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/server_info", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        else:
            raise RuntimeError("dagster dev did not answer within 120 s")
        yield DagsterDev(base, home)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # anything left of the group
            log.close()


@pytest.fixture
def dagster_dev(intake_env: IntakeEnv, tmp_path: Path) -> Iterator[DagsterDev]:
    """``dagster dev`` on the test config (see ``running_dagster_dev``)."""
    with running_dagster_dev(intake_env.config_path, tmp_path) as dev:
        yield dev
