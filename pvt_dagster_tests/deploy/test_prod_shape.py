"""The production shape on one host (what ``make prod-check`` runs): separate webserver,
daemon and gRPC code server on ``deploy/postgres/dagster.yaml``, the instance and the ledger
on PostgreSQL, the vault and stage outputs on moto's S3 server, each run in its own scratch
folder. Three feeds of two clients reach ``delivered``; the CLI reads the same ledger and
verifies the objects; a replay works with every scratch folder wiped."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster_tests.support.prod_shape import run_prod_check
from pvt_dagster_tests.support.servers.moto_s3 import moto_server_path
from pvt_dagster_tests.support.servers.postgres import PostgresMissing


@pytest.mark.slow
def test_three_feeds_of_two_clients_flow_in_the_production_shape(tmp_path: Path) -> None:
    if moto_server_path() is None:
        pytest.skip("moto_server is not installed (pip install 'moto[s3]' flask flask-cors)")
    try:
        report = run_prod_check(tmp_path, per_feed=2, timeout=600)
    except PostgresMissing as exc:
        pytest.skip(str(exc))
    print("\n".join(report.lines()))
    assert len(report.statuses) == report.dropped == 6
    assert set(report.statuses.values()) == {"delivered"}, report.statuses
    keys = sorted(report.statuses)
    assert {k.split("/")[0] + "/" + k.split("/")[1] for k in keys} == {
        "acme/members", "acme/plain", "beta/claims"}
    assert sorted(report.stored) == sorted(
        [f"pvt/vault/{k}" for k in keys] + [f"pvt/work/scrubbed/{k}.csv" for k in keys])
    assert len(report.delivered_objects) == 6
    assert report.compute_logs, "the runs' compute logs went to S3"
    assert report.local_files == []
    assert sorted(str(f["key"]) for f in report.files_json) == keys
    assert report.verify.returncode == 0, report.verify.stdout + report.verify.stderr
    assert report.replay.returncode == 0, report.replay.stdout + report.replay.stderr
    assert report.replayed_status == "delivered"
