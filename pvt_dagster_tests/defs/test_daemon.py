"""Files through the daemon, as a user runs the product (``dagster dev`` with the repo's
``dagster.yaml``): the discovery sensor requests runs, the queued run coordinator launches
them at most one per feed at a time, every file ends delivered; then a replay from the CLI is
one more run in the same instance."""

from __future__ import annotations

import itertools
import time

import dagster as dg
import pytest
import requests

from pvt_dagster.cli import main
from pvt_dagster_tests.support.dagster_dev import DagsterDev
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes

MEMBERS = 3
RUNS_QUERY = """{ runsOrError { ... on Runs { results { runId status
                  tags { key value } } } } }"""


def _wait_delivered(env: IntakeEnv, count: int, timeout: float) -> None:
    """Wait until ``count`` files are delivered (the ledger is the truth)."""
    deadline = time.monotonic() + timeout
    statuses: list[str] = []
    while time.monotonic() < deadline:
        intake = env.intake()
        try:
            statuses = [r.status for r in intake.ledger.list_files()]
        finally:
            intake.close()
        if statuses.count("delivered") >= count:
            return
        time.sleep(2)
    pytest.fail(f"files did not reach delivered in {timeout:.0f} s: {statuses}")


@pytest.mark.slow
def test_daemon_runs_files_one_per_feed_and_shows_cli_replays(
        intake_env: IntakeEnv, dagster_dev: DagsterDev, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for n in range(MEMBERS):
        intake_env.drop_encrypted(f"members_{n}.csv.pgp", csv_bytes(GOOD_ROWS[n:]))
    intake_env.drop_plain("plain_0.csv", b"ssn\n123-45-6789\n")
    _wait_delivered(intake_env, MEMBERS + 1, timeout=300)

    monkeypatch.setenv("DAGSTER_HOME", str(dagster_dev.home))
    with dg.DagsterInstance.get() as inst:
        records = inst.get_run_records()
        assert len(records) == MEMBERS + 1
        assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
        for record in records:  # every run went through the queue
            enqueued = inst.get_records_for_run(
                record.dagster_run.run_id, of_type=dg.DagsterEventType.RUN_ENQUEUED).records
            assert len(enqueued) == 1
        members = sorted((r.start_time or 0.0, r.end_time or 0.0) for r in records
                         if r.dagster_run.tags.get("pvt/feed") == "acme/members")
        assert len(members) == MEMBERS
        for (_, end), (start, _) in itertools.pairwise(members):
            assert start >= end, "two runs of one feed overlapped"

    key = next(r.key for r in intake_env.intake().ledger.list_files() if r.feed == "members")
    assert main(["--config", str(intake_env.config_path), "replay", key]) == 0
    assert f"replayed {key}: delivered" in capsys.readouterr().out
    response = requests.post(f"{dagster_dev.url}/graphql", json={"query": RUNS_QUERY},
                             timeout=30)
    runs = response.json()["data"]["runsOrError"]["results"]
    replays = [r for r in runs if {"key": "pvt/replay", "value": "decrypted"} in r["tags"]]
    assert len(replays) == 1 and replays[0]["status"] == "SUCCESS"
    assert {"key": "pvt/file", "value": key} in replays[0]["tags"]
