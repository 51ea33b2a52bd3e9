"""`dagster dev` on the repository's dagster.yaml (what `make demo` copies into DAGSTER_HOME)
starts, runs the run-monitoring daemon healthy, and stops on SIGINT."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from pvt_dagster_tests.deploy.profiles import REPO, TOP_LEVEL_YAML
from pvt_dagster_tests.support.servers.common import free_port

HEALTH = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"


def _daemons(base: str) -> dict[str, tuple[bool, bool]]:
    response = requests.post(f"{base}/graphql", json={"query": HEALTH}, timeout=30)
    response.raise_for_status()
    statuses = response.json()["data"]["instance"]["daemonHealth"]["allDaemonStatuses"]
    return {s["daemonType"]: (s["healthy"], s["required"]) for s in statuses}


@pytest.mark.slow
def test_dagster_dev_runs_the_monitoring_daemon(tmp_path: Path) -> None:
    """The MONITORING daemon is required and reports healthy; SIGINT stops everything."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(TOP_LEVEL_YAML.read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home),
           "PVT_CONFIG": str(tmp_path / "absent.yaml")}  # an empty location is enough here
    port = free_port()
    log_path = tmp_path / "dagster_dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1",
             "-p", str(port), "-w", "workspace.yaml"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            daemons: dict[str, tuple[bool, bool]] = {}
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                assert process.poll() is None, log_path.read_text()[-3000:]
                with contextlib.suppress(requests.ConnectionError):
                    daemons = _daemons(base)
                    if daemons.get("MONITORING", (False, False))[0]:
                        break
                time.sleep(1)
            assert daemons.get("MONITORING") == (True, True), daemons
        finally:
            process.send_signal(signal.SIGINT)
            try:
                returncode = process.wait(timeout=60)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)  # anything left of the group
    assert returncode == 0, log_path.read_text()[-3000:]
