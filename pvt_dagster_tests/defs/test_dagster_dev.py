"""Smoke test of the code location under ``dagster dev``: started as a subprocess, it shows the
feed's assets, checks, job and running discovery sensor through the GraphQL API, and stops
cleanly on SIGINT with its children."""

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
from pathlib import Path

import pytest
import requests

from pvt_dagster_tests.support.fixtures import IntakeEnv

REPO = Path(__file__).resolve().parents[2]
QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    location { name }
    jobs { name }
    sensors { name sensorState { status } }
    assetNodes { assetKey { path }
                 assetChecksOrError { ... on AssetChecks { checks { name } } } }
} } } }
"""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dagster_dev(intake_env: IntakeEnv, tmp_path: Path) -> Iterator[str]:
    """``dagster dev`` on the test config; yields its base URL, then stops it by pid."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    port = free_port()
    env = {**os.environ, "PVT_CONFIG": str(intake_env.config_path), "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).parent / "dagster"
    log = (tmp_path / "dagster_dev.log").open("wb")
    process = subprocess.Popen(
        [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "dagster_dev.log").read_text()[-3000:]
            try:
                if requests.get(f"{base}/server_info", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("dagster dev did not answer within 120 s")
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # anything left of the group
            log.close()


@pytest.mark.slow
def test_dagster_dev_shows_feed_assets_checks_and_sensor(dagster_dev: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        response = requests.post(f"{dagster_dev}/graphql", json={"query": QUERY}, timeout=30)
        response.raise_for_status()
        nodes = response.json()["data"]["repositoriesOrError"].get("nodes") or []
        if nodes or time.monotonic() > deadline:
            break
        time.sleep(1)
    (repo,) = nodes
    assert repo["location"]["name"] == "pvt_dagster"
    assert "acme__members__intake" in {j["name"] for j in repo["jobs"]}
    sensors = {s["name"]: s["sensorState"]["status"] for s in repo["sensors"]}
    assert sensors == {"acme__drop__discover": "RUNNING", "pvt__dispatch": "RUNNING",
                       "pvt__run_failure": "RUNNING"}
    assets = {tuple(a["assetKey"]["path"]): a for a in repo["assetNodes"]}
    assert ("acme", "members", "delivered") in assets
    checks = {c["name"] for c in
              assets[("acme", "members", "validated")]["assetChecksOrError"]["checks"]}
    assert checks == {"ssn__required", "ssn__pattern", "phone__pattern", "state__in_list"}
