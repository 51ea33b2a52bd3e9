"""Stage ``delivered``: hand the scrubbed rows to every delivery target of the feed; a rerun
replaces the file's rows and never doubles them."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pvt_dagster.config.models import DailyCsvTarget
from pvt_dagster.delivery import deliver_daily_csv
from pvt_dagster.errors import DeliveryError
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import recorded_stage, utcnow
from pvt_dagster.pipeline.stage_guard import require_stage


@dataclass(frozen=True)
class TargetResult:
    """One delivery target's outcome."""

    kind: str
    location: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class DeliveredResult:
    """Every target's outcome for one file."""

    targets: list[TargetResult]

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        return {"targets": len(self.targets),
                "rows": sum(t.rows for t in self.targets),
                "locations": [t.location for t in self.targets]}


def run_delivered(intake: Intake, key: str, *, run_id: str) -> DeliveredResult:
    """Deliver the scrubbed file of ``key`` to each of its feed's targets."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "scrubbed")
    feed = intake.feed_of(record)
    scrubbed = intake.layout.scrubbed_path(key)
    received = record.received_at or utcnow()
    day = received.astimezone(ZoneInfo(intake.config.timezone)).date()
    results: list[TargetResult] = []
    for target in feed.config.deliver:
        with recorded_stage(ledger, key, stage="delivered", action=f"deliver:{target.kind}",
                            run_id=run_id) as draft:
            draft.input_sha256 = (record.metrics or {}).get("scrubbed", {}).get("sha256")
            if not isinstance(target, DailyCsvTarget):
                raise DeliveryError(f"delivery kind {target.kind} is not supported yet")
            out = deliver_daily_csv(scrubbed, target_dir=target.dir, feed=feed.name, day=day,
                                    file_key=key)
            draft.rows, draft.details = out.rows, {"path": str(out.path)}
            results.append(TargetResult(target.kind, str(out.path), out.rows, out.seconds))
    result = DeliveredResult(results)
    mark_done(ledger, ledger.get_file(key), "delivered", metrics=result.metadata())
    return result
