"""Helpers of the operations tests: config tweaks and a discovery-sensor tick."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster_tests.support.fixtures import IntakeEnv

SENSOR = "acme__drop__discover"


def set_max_failures(env: IntakeEnv, limit: int) -> None:
    """Give client acme ``max_consecutive_failures: limit``."""
    text = env.config_path.read_text()
    env.config_path.write_text(text.replace(
        "  acme:\n    sources:", f"  acme:\n    max_consecutive_failures: {limit}\n    sources:"))


def replace_deliver(env: IntakeEnv, feed_targets: str) -> None:
    """Replace every feed's deliver list with ``feed_targets`` (YAML flow items)."""
    text = env.config_path.read_text()
    env.config_path.write_text(text.replace("          - {kind: daily_csv, dir: out}\n",
                                            feed_targets))


def tick(defs: dg.Definitions, instance: dg.DagsterInstance, env: IntakeEnv,
         cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
    """Evaluate the discovery sensor once and apply its partition requests, as the daemon does."""
    sensor = defs.resolve_sensor_def(SENSOR)
    resources = {"pvt": PvtIntakeResource(config_path=str(env.config_path))}
    with dg.build_sensor_context(instance=instance, resources=resources,
                                 cursor=cursor) as context:
        result = sensor(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name,
                                            list(request.partition_keys))
    return result
