"""Stage ``delivered``: hand the scrubbed rows to every delivery target of the feed (daily CSV,
a per-client SQL table, S3); a rerun replaces the file's rows and never doubles them. Each
target's rows, bytes and seconds go into its manifest event and the stage's metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pvt_dagster.config import DailyCsvTarget, FeedRef, S3Target, TableTarget
from pvt_dagster.delivery import deliver_daily_csv, deliver_s3, deliver_table
from pvt_dagster.errors import ConfigError, DeliveryError
from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.plaintext import release_plaintext, released_on_failure
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import EventDraft, recorded_stage, utcnow
from pvt_dagster.pipeline.stage_guard import require_stage
from pvt_dagster.tracking import stage_metrics


@dataclass(frozen=True)
class TargetResult:
    """One delivery target's outcome."""

    kind: str
    location: str
    rows: int
    seconds: float
    bytes: int = 0
    replaced: int = 0  # rows of an earlier delivery of the same key replaced (tables)


@dataclass(frozen=True)
class DeliveredResult:
    """Every target's outcome for one file."""

    targets: list[TargetResult]

    def metadata(self) -> dict[str, Any]:
        """Plain values for the UI and the ledger: totals, throughput and each target."""
        seconds = sum(t.seconds for t in self.targets)
        rows = max((t.rows for t in self.targets), default=0)
        size = max((t.bytes for t in self.targets), default=0)
        return {"targets": len(self.targets), **stage_metrics(seconds, bytes_=size, rows=rows),
                "locations": [t.location for t in self.targets],
                "per_target": [{"kind": t.kind, "location": t.location, "rows": t.rows,
                                "bytes": t.bytes, "seconds": round(t.seconds, 3)}
                               for t in self.targets]}


def deliver_to(intake: Intake, target: object, src: Path, *, client: str, name: str,
               key: str, day: date, sha256: str | None = None) -> TargetResult:
    """Deliver the CSV ``src`` to one target as ``key`` (a rerun replaces that key's rows):
    a daily CSV named after ``name``, the client's table, or S3. Shared by feeds (``name`` =
    the feed, ``key`` = the file key) and processing jobs (the job and its output key)."""
    if isinstance(target, DailyCsvTarget):
        out = deliver_daily_csv(src, target_dir=target.dir, feed=name, day=day, file_key=key)
        return TargetResult(target.kind, str(out.path), out.rows, out.seconds, out.bytes)
    if isinstance(target, TableTarget):
        url = target.url if isinstance(target.url, str) else (
            target.url.resolve() if target.url is not None else None)
        refusal = target.ledger_refusal(url, intake.config.ledger_url, name)
        if refusal:
            raise ConfigError(refusal)
        url = url or intake.config.ledger_url
        load = deliver_table(src, url=url, client=client, table=target.table,
                             schema=target.schema_name, file_key=key, loaded_at=utcnow(),
                             chunk_rows=target.chunk_rows)
        return TargetResult(target.kind, f"table:{load.table}", load.rows, load.seconds,
                            load.bytes, replaced=load.replaced)
    if isinstance(target, S3Target):
        put = deliver_s3(src, target=target, client=client, feed=name, day=day, file_key=key,
                         sha256=sha256)
        return TargetResult(target.kind, put.url, put.rows, put.seconds, put.bytes)
    raise DeliveryError(f"delivery kind {getattr(target, 'kind', '?')} is not supported")


def _deliver(intake: Intake, feed: FeedRef, record: FileRecord, target: object,
             scrubbed: Path, day: date, draft: EventDraft) -> TargetResult:
    """Deliver to one target and fill in its manifest event."""
    result = deliver_to(intake, target, scrubbed, client=feed.client, name=feed.name,
                        key=record.key, day=day, sha256=record.scrubbed_sha256)
    if isinstance(target, TableTarget):
        draft.details["replaced_rows"] = result.replaced
    draft.rows, draft.bytes = result.rows, result.bytes
    draft.details.update({"location": result.location, "rows": result.rows,
                          "bytes": result.bytes, "seconds": round(result.seconds, 3)})
    draft.output_name = result.location
    return result


def run_delivered(intake: Intake, key: str, *, run_id: str) -> DeliveredResult:
    """Deliver the scrubbed file of ``key`` to each of its feed's targets."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "scrubbed")
    feed = intake.feed_of(record)
    scrubbed = intake.store.fetch(intake.layout.scrubbed_path(key))
    received = record.received_at or utcnow()
    day = received.astimezone(ZoneInfo(intake.config.timezone)).date()
    results: list[TargetResult] = []
    with released_on_failure(intake, key):
        for target in feed.config.deliver:
            with recorded_stage(ledger, key, stage="delivered",
                                action=f"deliver:{target.kind}", run_id=run_id) as draft:
                draft.input_sha256 = record.scrubbed_sha256
                results.append(_deliver(intake, feed, record, target, scrubbed, day, draft))
    result = DeliveredResult(results)
    mark_done(ledger, ledger.get_file(key), "delivered", metrics=result.metadata())
    release_plaintext(intake, key)  # the file is final: nothing reads its plaintext now
    return result
