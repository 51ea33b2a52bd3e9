"""What the code location builds from config: asset keys, check names, jobs and sensors, and
an empty location when there is no config."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pvt_dagster.definitions import build_definitions
from pvt_dagster_tests.support.fixtures import IntakeEnv


def test_feed_graph_names(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    graph = defs.resolve_asset_graph()
    keys = {tuple(k.path) for k in graph.get_all_asset_keys()}
    stages = ("raw", "decrypted", "validated", "scrubbed", "delivered")
    # The last part names the feed too: the UI labels a node by it (members_validated).
    assert keys == {("acme", feed, f"{feed}_{s}") for feed in ("members", "plain")
                    for s in stages}
    checks = {(tuple(c.asset_key.path), c.name) for c in graph.asset_check_keys}
    assert checks == {
        (("acme", "members", "members_validated"), "ssn__required"),
        (("acme", "members", "members_validated"), "ssn__pattern"),
        (("acme", "members", "members_validated"), "phone__pattern"),
        (("acme", "members", "members_validated"), "state__in_list"),
        (("acme", "plain", "plain_validated"), "ssn__required"),
    }
    assert defs.resolve_job_def("acme__members__intake").name == "acme__members__intake"
    sensor = defs.resolve_sensor_def("acme__drop__discover")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 1


def test_no_config_loads_an_empty_location(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PVT_CONFIG", raising=False)
    defs = build_definitions()
    assert list(defs.resolve_asset_graph().get_all_asset_keys()) == []
