"""How a stage is recorded: one manifest event per attempt, and on error the file's status,
its one-line error and an outbox message, so no failure is ever silent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pvt_dagster.domain import Severity, Stage
from pvt_dagster.errors import one_line
from pvt_dagster.ledger import Ledger
from pvt_dagster.pipeline.layout import HomeLayout
from pvt_dagster.pipeline.outcomes import Blocked, Refused, Waiting
from pvt_dagster.tracking import DATA, REJECTED, RETRY, TrackedStage, track_stage

log = logging.getLogger(__name__)
NotDoneT = TypeVar("NotDoneT", bound=Refused | Waiting | Blocked)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


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
    not_done: Refused | Waiting | Blocked | None = None  # the stage ended without output

    def end_without_output(self, outcome: NotDoneT) -> NotDoneT:
        """Record that the stage ends with ``outcome`` (refused, waiting or blocked) instead
        of its output; returns it, for ``return draft.end_without_output(...)``."""
        self.not_done = outcome
        return outcome


def stage_names(ledger: Ledger, key: str, stage: Stage) -> tuple[str | None, str | None]:
    """Default input and output names of a stage's event: home-relative paths, and for
    ``raw`` the source and path the bytes came from."""
    names = HomeLayout(Path("")).stage_io(stage, key)
    src, dst = (str(p) if p is not None else None for p in names)
    if stage == "raw":
        record = ledger.get_file(key)
        src = f"{record.source}:{record.path}"
    return src, dst


def _event(ledger: Ledger, key: str, stage: Stage, draft: EventDraft) -> dict[str, Any]:
    """The event fields a draft contributes, with default names filled in."""
    src, dst = stage_names(ledger, key, stage)
    return {"input_sha256": draft.input_sha256, "output_sha256": draft.output_sha256,
            "bytes": draft.bytes, "rows": draft.rows, "details": draft.details or None,
            "input_name": draft.input_name or src,
            "output_name": draft.output_name or (dst if draft.output_sha256 else None)}


#: How each way of ending without output is registered: error class, category, and the
#: outbox message (kind, severity), if any. Waiting is normal: no message at all.
_NOT_DONE: dict[type, tuple[str, str, tuple[str, Severity] | None]] = {
    Refused: ("FileRejectedError", REJECTED, ("rejected", "warning")),
    Waiting: ("SourceChangedError", RETRY, None),
    Blocked: ("ValidationFailedError", DATA, None),  # its message is the stage's own
}


@contextmanager
def recorded_stage(
    ledger: Ledger, key: str, *, stage: Stage, action: str, run_id: str
) -> Iterator[EventDraft]:
    """Run a stage body and append its manifest event. On an error, mark the file failed,
    queue a failure message and re-raise; when the body ends without output (``draft.
    end_without_output``), record why (a refusal is a warning message, waiting none)."""
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
        ledger.update_file(key, status="failed", error=error)
        record = ledger.get_file(key)
        ledger.record_message(
            dedupe_key=f"{key}:{stage}:{run_id}:error",
            client=record.client, feed=record.feed, file_key=key, stage=stage,
            kind=f"{stage}_failed", severity="failure",
            text=f"{key} failed at {stage}: {error}",
            details={"error_class": type(exc).__name__, "run_id": run_id},
        )
        log.warning("%s failed at %s: %s", key, stage, error)
        tracked.failed(exc, error)
        raise
    if draft.not_done is not None:
        _record_not_done(ledger, key, stage, action, run_id, started, draft, tracked)
        return
    ledger.append_event(key, stage=stage, action=action, started_at=started,
                        finished_at=utcnow(), outcome="ok", error=None,
                        **_event(ledger, key, stage, draft))
    tracked.completed(started, bytes_=draft.bytes, rows=draft.rows)
    log.info("%s %s done (%s)", key, stage, action)


def _record_not_done(ledger: Ledger, key: str, stage: Stage, action: str, run_id: str,
                     started: datetime, draft: EventDraft, tracked: TrackedStage) -> None:
    """The event, registry entry and message of a stage that ended without its output."""
    outcome = draft.not_done
    assert outcome is not None
    reason = " ".join(outcome.reason.split())[:500]
    ledger.append_event(key, stage=stage, action=action, started_at=started,
                        finished_at=utcnow(), outcome="error", error=reason,
                        **_event(ledger, key, stage, draft))
    error_class, category, message = _NOT_DONE[type(outcome)]
    if message is not None:
        kind, severity = message
        record = ledger.get_file(key)
        ledger.record_message(
            dedupe_key=f"{key}:{stage}:{run_id}:error",
            client=record.client, feed=record.feed, file_key=key, stage=stage,
            kind=kind, severity=severity, text=f"{key} was rejected at {stage}: {reason}",
            details={"error_class": error_class, "run_id": run_id})
    log.warning("%s %s at %s: %s", key, outcome.outcome, stage, reason)
    tracked.ended_without_output(error_class, category, reason)
