"""What the code location builds for processing jobs: one asset ``[client, job]`` per job in
the client's group, downstream of its inputs' assets, partitioned like its input feed (per_file)
or by day (daily), typed by a dagster-pandas DataFrame type; one Dagster job and one RUNNING
inputs sensor per job; and a sensor with nothing to do says so."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster_tests.processing.conftest import write_funds_config


def test_job_assets_jobs_and_sensors(tmp_path: Path) -> None:
    path = write_funds_config(tmp_path, table_url=f"sqlite:///{tmp_path / 'w.db'}")
    defs = build_definitions(str(path))
    graph = defs.resolve_asset_graph()
    jobs = ("stamp_a", "stamp_b", "zscore_a", "zscore_b", "merged")
    keys = {tuple(k.path) for k in graph.get_all_asset_keys()}
    assert {("funds", j) for j in jobs} <= keys
    merged = graph.get(dg.AssetKey(["funds", "merged"]))
    assert merged.group_name == "funds"
    assert {tuple(k.path) for k in merged.parent_keys} == {("funds", "zscore_a"),
                                                           ("funds", "zscore_b")}
    stamp = graph.get(dg.AssetKey(["funds", "stamp_a"]))
    assert {tuple(k.path) for k in stamp.parent_keys} == {("funds", "nav_a", "nav_a_delivered")}
    assert isinstance(stamp.partitions_def, dg.DynamicPartitionsDefinition)
    assert stamp.partitions_def.name == "funds__nav_a"  # the input feed's partitions
    assert isinstance(merged.partitions_def, dg.DynamicPartitionsDefinition)
    assert merged.partitions_def.name == "funds__merged"  # days
    assets_def = defs.resolve_assets_def(dg.AssetKey(["funds", "merged"]))
    output_type = assets_def.op.outs["result"].dagster_type
    assert output_type.key == "funds__merged__output"
    job = defs.resolve_job_def("funds__merged__process")
    assert {tuple(k.path) for k in job.asset_layer.executable_asset_keys} == {("funds", "merged")}
    sensor = defs.resolve_sensor_def("funds__merged__inputs")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 1
    resources = {"pvt": PvtIntakeResource(config_path=str(path))}
    with dg.instance_for_test() as instance, dg.build_sensor_context(
            instance=instance, resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == "funds/merged: every partition is up to date"
