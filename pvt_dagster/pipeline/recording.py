"""How a stage is recorded: one manifest event per attempt, and on error the file's status,
its one-line error and an outbox message, so no failure is ever silent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pvt_dagster.errors import FileRejectedError, PvtError
from pvt_dagster.ledger import Ledger


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


@contextmanager
def recorded_stage(
    ledger: Ledger, key: str, *, stage: str, action: str, run_id: str
) -> Iterator[EventDraft]:
    """Run a stage body and append its manifest event; on error mark the file and queue a
    message, then re-raise."""
    draft = EventDraft()
    started = utcnow()
    try:
        yield draft
    except BaseException as exc:
        error = one_line(exc)
        ledger.append_event(
            key, stage=stage, action=action, input_sha256=draft.input_sha256,
            output_sha256=draft.output_sha256, bytes=draft.bytes, rows=draft.rows,
            started_at=started, finished_at=utcnow(), outcome="error", error=error,
            details=draft.details or None,
        )
        if not isinstance(exc, FileRejectedError):
            ledger.update_file(key, status="failed", error=error)
        record = ledger.get_file(key)
        ledger.record_message(
            dedupe_key=f"{key}:{stage}:{run_id}:error",
            client=record.client, feed=record.feed, file_key=key, stage=stage,
            kind="rejected" if isinstance(exc, FileRejectedError) else f"{stage}_failed",
            severity="failure",
            text=f"{key} {'was rejected' if isinstance(exc, FileRejectedError) else 'failed'}"
                 f" at {stage}: {error}",
            details={"error_class": type(exc).__name__, "run_id": run_id},
        )
        raise
    ledger.append_event(
        key, stage=stage, action=action, input_sha256=draft.input_sha256,
        output_sha256=draft.output_sha256, bytes=draft.bytes, rows=draft.rows,
        started_at=started, finished_at=utcnow(), outcome="ok", error=None,
        details=draft.details or None,
    )
