"""Smoke test of the code location under ``dagster dev``: started as a subprocess, it shows the
feed's assets, checks, job and running discovery sensor through the GraphQL API, and stops
cleanly on SIGINT with its children."""

from __future__ import annotations

import time

import pytest
import requests

from pvt_dagster_tests.support.dagster_dev import DagsterDev

QUERY = """
{ repositoriesOrError { ... on RepositoryConnection { nodes {
    location { name }
    jobs { name }
    sensors { name sensorState { status } }
    assetNodes { assetKey { path }
                 assetChecksOrError { ... on AssetChecks { checks { name } } } }
} } } }
"""


@pytest.mark.slow
def test_dagster_dev_shows_feed_assets_checks_and_sensor(dagster_dev: DagsterDev) -> None:
    deadline = time.monotonic() + 60
    while True:
        response = requests.post(f"{dagster_dev.url}/graphql", json={"query": QUERY}, timeout=30)
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
    assert ("acme", "members", "members_delivered") in assets
    checks = {c["name"] for c in
              assets[("acme", "members", "members_validated")]["assetChecksOrError"]["checks"]}
    assert checks == {"ssn__required", "ssn__pattern", "phone__pattern", "state__in_list"}
