"""How a stage is recorded: one manifest event per attempt, and on error the file's status,
its one-line error and an outbox message, so no failure is ever silent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pvt_dagster.errors import FileRejectedError, PvtError
from pvt_dagster.ledger import Ledger
from pvt_dagster.pipeline.layout import HomeLayout
from pvt_dagster.tracking import track_stage

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def one_line(exc: BaseException) -> str:
    """A readable one-line error for the ledger. Only our own errors carry their text: a
    third-party message might quote data, so it is reduced to its class name."""
    if isinstance(exc, PvtError):
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text[:500]
    return f"internal error ({type(exc).__name__}); see the run's logs"


@dataclass
class EventDraft:
    """What a stage fills in while it runs; becomes the manifest event."""

    input_sha256: str | None = None
    output_sha256: str | None = None
    bytes: int | None = None
    rows: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    input_name: str | None = None  # defaults: the stage's files in the home (see stage_names)
    output_name: str | None = None


def stage_names(ledger: Ledger, key: str, stage: str) -> tuple[str | None, str | None]:
    """Default input and output names of a stage's event: home-relative paths, and for
    ``raw`` the source and path the bytes came from."""
    names = HomeLayout(Path("")).stage_io(stage, key)
    src, dst = (str(p) if p is not None else None for p in names)
    if stage == "raw":
        record = ledger.get_file(key)
        src = f"{record.source}:{record.path}"
    return src, dst


def _event(ledger: Ledger, key: str, stage: str, draft: EventDraft) -> dict[str, Any]:
    """The event fields a draft contributes, with default names filled in."""
    src, dst = stage_names(ledger, key, stage)
    return {"input_sha256": draft.input_sha256, "output_sha256": draft.output_sha256,
            "bytes": draft.bytes, "rows": draft.rows, "details": draft.details or None,
            "input_name": draft.input_name or src,
            "output_name": draft.output_name or (dst if draft.output_sha256 else None)}


@contextmanager
def recorded_stage(
    ledger: Ledger, key: str, *, stage: str, action: str, run_id: str
) -> Iterator[EventDraft]:
    """Run a stage body and append its manifest event; on error mark the file and queue a
    message, then re-raise."""
    draft = EventDraft()
    started = utcnow()
    tracked = track_stage(ledger, key, stage=stage, run_id=run_id)  # process run + errors
    try:
        yield draft
    except BaseException as exc:
        error = one_line(exc)
        ledger.append_event(key, stage=stage, action=action, started_at=started,
                            finished_at=utcnow(), outcome="error", error=error,
                            **_event(ledger, key, stage, draft))
        rejected = isinstance(exc, FileRejectedError)
        if not rejected:
            ledger.update_file(key, status="failed", error=error)
        record = ledger.get_file(key)
        # A refused file is reported like every other refusal (a warning); a failure is one.
        ledger.record_message(
            dedupe_key=f"{key}:{stage}:{run_id}:error",
            client=record.client, feed=record.feed, file_key=key, stage=stage,
            kind="rejected" if rejected else f"{stage}_failed",
            severity="warning" if rejected else "failure",
            text=f"{key} {'was rejected' if rejected else 'failed'} at {stage}: {error}",
            details={"error_class": type(exc).__name__, "run_id": run_id},
        )
        log.warning("%s %s at %s: %s", key, "rejected" if rejected else "failed", stage, error)
        tracked.failed(exc, error)
        raise
    ledger.append_event(key, stage=stage, action=action, started_at=started,
                        finished_at=utcnow(), outcome="ok", error=None,
                        **_event(ledger, key, stage, draft))
    tracked.completed(started, bytes_=draft.bytes, rows=draft.rows)
    log.info("%s %s done (%s)", key, stage, action)
