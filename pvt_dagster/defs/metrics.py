"""Per-stage metrics as Dagster metadata (numbers, so the UI plots them over partitions), and
what the UI shows of a feed on hold."""

from __future__ import annotations

from typing import Any

import dagster as dg

from pvt_dagster.domain import Stage
from pvt_dagster.ledger import HoldRecord
from pvt_dagster.naming import stage_asset_path
from pvt_dagster.pipeline import Intake
from pvt_dagster.tracking import plottable


def stage_metric_metadata(intake: Intake, key: str, stage: Stage,
                          ) -> dict[str, dg.MetadataValue]:
    """Seconds, bytes, rows and throughput of one stage of one file, from the ledger."""
    record = intake.ledger.find_file(key)
    values = plottable(dict((record.metrics or {}).get(stage) or {})) if record else {}
    return {name: (dg.MetadataValue.int(v) if isinstance(v, int) else dg.MetadataValue.float(v))
            for name, v in values.items()}


def with_metrics(metadata: dict[str, dg.MetadataValue], intake: Intake, key: str,
                 stage: Stage) -> dict[str, dg.MetadataValue]:
    """``metadata`` with the stage's metrics added where the stage did not set them."""
    for name, value in stage_metric_metadata(intake, key, stage).items():
        metadata.setdefault(name, value)
    return metadata


def hold_observation(client: str, feed: str, hold: HoldRecord | None, *,
                     waiting: int, **extra: Any) -> dg.AssetObservation:
    """An observation on ``[client, feed, raw]`` saying whether the feed is on hold and why."""
    values: dict[str, Any] = {"on_hold": hold is not None and hold.status == "active",
                              "waiting_files": waiting, **extra}
    if hold is not None:
        values.update(hold_id=hold.id, hold_reason=hold.reason,
                      hold_placed_at=hold.placed_at.isoformat(),
                      release=f"pvt holds release {client}/{feed} (or job pvt__release_hold)")
    metadata: dict[str, dg.MetadataValue] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            metadata[name] = dg.MetadataValue.bool(value)
        elif isinstance(value, int):
            metadata[name] = dg.MetadataValue.int(value)
        else:
            metadata[name] = dg.MetadataValue.text(str(value))
    return dg.AssetObservation(asset_key=dg.AssetKey(stage_asset_path(client, feed, "raw")),
                               metadata=metadata)
