"""Read-only records the ledger hands out, and the inputs it takes for checks and scrubbing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from pvt_dagster.domain import (
    CHECK_PHASES,
    MessageStage,
    MessageStatus,
    Phase,
    RuleSeverity,
    Severity,
    Stage,
    Status,
    as_message_stage,
    as_message_status,
    as_severity,
    as_stage,
    as_status,
)
from pvt_dagster.ledger import models

PHASES: frozenset[Phase] = frozenset(CHECK_PHASES)
_Value = TypeVar("_Value")


def optional(convert: Callable[[str], _Value], text: str | None) -> _Value | None:
    """``convert(text)``, or None for a NULL column."""
    return None if text is None else convert(text)


@dataclass(frozen=True)
class NewFile:
    """A file seen for the first time, to be given a key and a row."""

    client: str
    feed: str | None
    source: str
    name: str
    path: str
    size: int
    mtime: float
    first_seen: datetime
    status: Status = "discovered"
    error: str | None = None
    observation: ObservationRecord | None = None


@dataclass(frozen=True)
class ObservationRecord:
    """What polling last saw of one entry at one source."""

    client: str
    source: str
    path: str
    name: str
    size: int
    mtime: float
    kind: str
    first_seen_at: datetime
    stable_since: datetime
    seen_count: int
    last_seen_at: datetime
    gone_at: datetime | None = None
    file_key: str | None = None


@dataclass(frozen=True)
class FileRecord:
    """One file row: every column of ``files``."""

    id: int
    key: str
    client: str
    feed: str | None
    source: str
    name: str
    path: str
    size: int
    mtime: float
    status: Status
    stage: Stage | None
    raw_sha256: str | None
    bytes: int | None
    rows: int | None
    error: str | None
    vault_path: str | None
    discovered_at: datetime
    received_at: datetime | None
    updated_at: datetime
    chain_head: str | None
    event_count: int
    metrics: dict[str, Any]
    run_seq: int
    decrypted_sha256: str | None = None
    scrubbed_sha256: str | None = None
    auto_retries: int = 0
    source_cleanup: str | None = None
    source_identity: str | None = None

    @property
    def vault_slug(self) -> str:
        """The last segment of the key: the file's name in the vault."""
        return self.key.rsplit("/", 1)[-1]


class FileUpdate(TypedDict, total=False):
    """The columns of a file that ``update_file`` and ``transition_file`` may set."""

    client: str
    feed: str | None
    source: str
    name: str
    path: str
    size: int
    mtime: float
    status: Status
    stage: Stage | None
    raw_sha256: str | None
    bytes: int | None
    rows: int | None
    error: str | None
    vault_path: str | None
    discovered_at: datetime
    received_at: datetime | None
    metrics: dict[str, Any]
    run_seq: int
    decrypted_sha256: str | None
    scrubbed_sha256: str | None
    auto_retries: int
    source_cleanup: str | None
    source_identity: str | None


@dataclass(frozen=True)
class EventRecord:
    """One manifest event of a file's chain."""

    id: int
    file_key: str
    seq: int
    stage: Stage
    action: str
    input_sha256: str | None
    output_sha256: str | None
    bytes: int | None
    rows: int | None
    started_at: datetime
    finished_at: datetime
    outcome: str
    error: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str
    input_name: str | None = None
    output_name: str | None = None
    hash_version: int = 1


@dataclass(frozen=True)
class CheckResultInput:
    """One rule's result to record: counts, first row numbers and masked samples."""

    check_name: str
    rule: str
    column: str
    severity: RuleSeverity
    passed: bool
    failures: int = 0
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    message: str | None = None


@dataclass(frozen=True)
class CheckResultRecord:
    """One recorded rule result."""

    file_key: str
    run_id: str
    phase: Phase
    check_name: str
    rule: str
    column: str
    severity: RuleSeverity
    passed: bool
    failures: int
    rows: list[int]
    samples: list[str]
    message: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class ScrubChangeInput:
    """What one scrub step changed in a column: counts, rows and masked before/after pairs."""

    column: str
    action: str
    step: int
    rows_changed: int
    rows: list[int] = field(default_factory=list)
    samples: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ScrubChangeRecord:
    """One recorded scrub change."""

    file_key: str
    run_id: str
    column: str
    action: str
    step: int
    rows_changed: int
    rows: list[int]
    samples: list[tuple[str, str]]
    recorded_at: datetime


@dataclass(frozen=True)
class MessageRecord:
    """One outbox message."""

    id: int
    dedupe_key: str
    client: str | None
    feed: str | None
    file_key: str | None
    stage: MessageStage | None
    kind: str
    severity: Severity
    text: str
    details: dict[str, Any]
    created_at: datetime
    status: MessageStatus
    attempts: int
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OperatorActionRecord:
    """One recorded operator action."""

    id: int
    action: str
    target: str
    user: str
    at: datetime
    details: dict[str, Any]


@dataclass(frozen=True)
class ChainProblem:
    """A problem ``verify_chains`` found: the file key, the event seq (if any) and what."""

    key: str
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = self.key if self.seq is None else f"{self.key} event {self.seq}"
        return f"{where}: {self.problem}"


def one_line(text: str | None, limit: int = 1000) -> str | None:
    """An error text as one line of at most ``limit`` characters."""
    if text is None:
        return None
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def file_record(row: models.File | Any) -> FileRecord:
    """A FileRecord from an ORM row or a plain result row."""
    return FileRecord(
        id=row.id, key=row.key, client=row.client, feed=row.feed, source=row.source,
        name=row.name, path=row.path, size=row.size, mtime=row.mtime,
        status=as_status(row.status), stage=optional(as_stage, row.stage),
        raw_sha256=row.raw_sha256, bytes=row.bytes, rows=row.rows,
        error=row.error, vault_path=row.vault_path, discovered_at=row.discovered_at,
        received_at=row.received_at, updated_at=row.updated_at, chain_head=row.chain_head,
        event_count=row.event_count, metrics=dict(row.metrics or {}), run_seq=row.run_seq,
        decrypted_sha256=row.decrypted_sha256, scrubbed_sha256=row.scrubbed_sha256,
        auto_retries=row.auto_retries or 0, source_cleanup=row.source_cleanup,
        source_identity=row.source_identity,
    )


def event_record(row: models.ManifestEvent, key: str) -> EventRecord:
    """An EventRecord from a row and its file's key."""
    return EventRecord(
        id=row.id, file_key=key, seq=row.seq, stage=as_stage(row.stage), action=row.action,
        input_sha256=row.input_sha256, output_sha256=row.output_sha256, bytes=row.bytes,
        rows=row.rows, started_at=row.started_at, finished_at=row.finished_at,
        outcome=row.outcome, error=row.error, details=dict(row.details or {}),
        prev_hash=row.prev_hash, hash=row.hash, input_name=row.input_name,
        output_name=row.output_name, hash_version=row.hash_version or 1,
    )


def observation_record(row: models.Observation | Any) -> ObservationRecord:
    """An ObservationRecord from an ORM row or a plain result row."""
    return ObservationRecord(
        client=row.client, source=row.source, path=row.path, name=row.name, size=row.size,
        mtime=row.mtime, kind=row.kind, first_seen_at=row.first_seen_at,
        stable_since=row.stable_since, seen_count=row.seen_count,
        last_seen_at=row.last_seen_at, gone_at=row.gone_at, file_key=row.file_key,
    )


def message_record(row: models.Message) -> MessageRecord:
    """A MessageRecord from a row."""
    return MessageRecord(
        id=row.id, dedupe_key=row.dedupe_key, client=row.client, feed=row.feed,
        file_key=row.file_key, stage=optional(as_message_stage, row.stage), kind=row.kind,
        severity=as_severity(row.severity),
        text=row.text, details=dict(row.details or {}), created_at=row.created_at,
        status=as_message_status(row.status), attempts=row.attempts, sent_at=row.sent_at,
        last_error=row.last_error,
    )
