"""Process tracking in the ledger: the process registry, process runs, holds and errors.

Plain storage; the policy (what counts as an operational failure, when a feed goes on hold)
lives in ``pvt_dagster.tracking``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pvt_dagster.domain import (
    PROCESS_RUN_STATUSES,
    HoldStatus,
    MessageStage,
    ProcessStage,
    RunStatus,
    as_hold_status,
    as_message_stage,
    as_process_stage,
    as_run_status,
)
from pvt_dagster.errors import LedgerError
from pvt_dagster.ledger.chain import json_safe
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.models import ErrorEntry, File, Hold, OperatorAction, Process, ProcessRun
from pvt_dagster.ledger.records import one_line, optional
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow

RUN_STATUSES = frozenset(PROCESS_RUN_STATUSES)
PROCESS_FIELDS = ("client", "feed", "stage", "type", "tool", "sources", "targets",
                  "max_failures")


@dataclass(frozen=True)
class ProcessRecord:
    """One registered process."""

    id: int
    name: str
    client: str
    feed: str | None
    stage: ProcessStage
    type: str
    tool: str
    sources: list[str]
    targets: list[str]
    max_failures: int


@dataclass(frozen=True)
class ProcessRunRecord:
    """One run of a process."""

    id: int
    process: str
    client: str
    feed: str | None
    stage: ProcessStage
    run_id: str
    file_key: str | None
    actor: str
    status: RunStatus
    category: str | None
    error_class: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class HoldRecord:
    """A hold on a feed (active or released)."""

    id: int
    client: str
    feed: str
    status: HoldStatus
    reason: str
    failures: int
    placed_at: datetime
    released_at: datetime | None
    released_by: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class ErrorRecord:
    """One entry of the error registry."""

    id: int
    at: datetime
    client: str | None
    feed: str | None
    stage: MessageStage | None
    file_key: str | None
    run_id: str | None
    error_class: str
    category: str
    message: str


def _process(row: Process) -> ProcessRecord:
    return ProcessRecord(id=row.id, name=row.name, client=row.client, feed=row.feed,
                         stage=as_process_stage(row.stage), type=row.type, tool=row.tool,
                         sources=list(row.sources or []), targets=list(row.targets or []),
                         max_failures=row.max_failures)


def _run(row: ProcessRun, proc: Process) -> ProcessRunRecord:
    return ProcessRunRecord(
        id=row.id, process=proc.name, client=proc.client, feed=proc.feed,
        stage=as_process_stage(proc.stage),
        run_id=row.run_id, file_key=row.file_key, actor=row.actor,
        status=as_run_status(row.status),
        category=row.category, error_class=row.error_class, error=row.error,
        started_at=row.started_at, finished_at=row.finished_at)


def _hold(row: Hold) -> HoldRecord:
    return HoldRecord(id=row.id, client=row.client, feed=row.feed,
                      status=as_hold_status(row.status),
                      reason=row.reason, failures=row.failures, placed_at=row.placed_at,
                      released_at=row.released_at, released_by=row.released_by,
                      details=dict(row.details or {}))


def _error(row: ErrorEntry) -> ErrorRecord:
    return ErrorRecord(id=row.id, at=row.at, client=row.client, feed=row.feed,
                       stage=optional(as_message_stage, row.stage), file_key=row.file_key,
                       run_id=row.run_id,
                       error_class=row.error_class, category=row.category, message=row.message)


def _get_or_create(session: Session, name: str, fields: dict[str, Any]) -> Process:
    row = session.scalar(select(Process).where(Process.name == name))
    if row is None:
        as_process_stage(fields["stage"])
        row = Process(name=name, updated_at=utcnow(), **fields)
        session.add(row)
        session.flush()
    return row


class TrackingMixin(LedgerBase):
    """Processes, their runs, feed holds and the error registry."""

    # --- registry ----------------------------------------------------------------------
    def sync_processes(self, specs: dict[str, dict[str, Any]]) -> int:
        """Upsert processes by name (fields: PROCESS_FIELDS); how many rows changed."""
        for fields in specs.values():
            as_process_stage(fields["stage"])
        with self._read() as session:  # every run and tick syncs: no write lock when in line
            rows = {r.name: r for r in session.scalars(select(Process))}
            if not any(_differs(rows.get(name), fields) for name, fields in specs.items()):
                return 0
        changed = 0
        with self._write() as session:
            rows = {r.name: r for r in session.scalars(select(Process))}
            for name, fields in specs.items():
                row = rows.get(name)
                if row is None:
                    session.add(Process(name=name, updated_at=utcnow(), **fields))
                    changed += 1
                elif _differs(row, fields):
                    for field_name in PROCESS_FIELDS:
                        setattr(row, field_name, fields[field_name])
                    row.updated_at = utcnow()
                    changed += 1
        return changed

    def processes(self) -> list[ProcessRecord]:
        """Every registered process, by name."""
        with self._read() as session:
            return [_process(r) for r in session.scalars(select(Process).order_by(Process.name))]

    # --- runs --------------------------------------------------------------------------
    def start_process_run(self, process: str, defaults: dict[str, Any], *, run_id: str,
                          file_key: str | None, actor: str, status: RunStatus = "running",
                          at: datetime | None = None) -> ProcessRunRecord:
        """A new run of ``process`` (registered from ``defaults`` if it is not yet)."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown process run status {status!r}")
        moment = ensure_utc(at) if at else utcnow()
        with self._write() as session:
            proc = _get_or_create(session, process, defaults)
            row = ProcessRun(process_id=proc.id, run_id=run_id, file_key=file_key,
                             actor=actor, status=status, started_at=moment,
                             finished_at=None if status == "running" else moment)
            session.add(row)
            session.flush()
            return _run(row, proc)

    def finish_process_run(self, run_pk: int, *, status: RunStatus, category: str | None = None,
                           error_class: str | None = None,
                           error: str | None = None) -> ProcessRunRecord:
        """Close a process run as completed, failed or on_hold."""
        if status not in RUN_STATUSES - {"running"}:
            raise ValueError(f"a process run cannot finish as {status!r}")
        with self._write() as session:
            row = session.get(ProcessRun, run_pk)
            if row is None:
                raise LedgerError(f"no process run with id {run_pk}")
            row.status, row.category, row.error_class = status, category, error_class
            row.error, row.finished_at = one_line(error), utcnow()
            session.flush()
            return _run(row, session.get_one(Process, row.process_id))

    def process_runs(self, *, client: str | None = None, feed: str | None = None,
                     process: str | None = None, since: datetime | None = None,
                     limit: int | None = None) -> list[ProcessRunRecord]:
        """Process runs, newest first, filtered by client, feed, process name and start."""
        stmt = (select(ProcessRun, Process).join(Process, Process.id == ProcessRun.process_id)
                .order_by(ProcessRun.id.desc()))
        if client is not None:
            stmt = stmt.where(Process.client == client)
        if feed is not None:
            stmt = stmt.where(Process.feed == feed)
        if process is not None:
            stmt = stmt.where(Process.name == process)
        if since is not None:
            stmt = stmt.where(ProcessRun.started_at >= ensure_utc(since))
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as session:
            return [_run(r, p) for r, p in session.execute(stmt)]

    # --- holds -------------------------------------------------------------------------
    def active_holds(self, client: str | None = None) -> list[HoldRecord]:
        """Holds not released yet, oldest first (of one client, or all)."""
        stmt = select(Hold).where(Hold.status == "active").order_by(Hold.id)
        if client is not None:
            stmt = stmt.where(Hold.client == client)
        with self._read() as session:
            return [_hold(r) for r in session.scalars(stmt)]

    def holds(self, *, client: str | None = None, feed: str | None = None) -> list[HoldRecord]:
        """Every hold, newest first."""
        stmt = select(Hold).order_by(Hold.id.desc())
        if client is not None:
            stmt = stmt.where(Hold.client == client)
        if feed is not None:
            stmt = stmt.where(Hold.feed == feed)
        with self._read() as session:
            return [_hold(r) for r in session.scalars(stmt)]

    def place_hold(self, client: str, feed: str, *, reason: str, failures: int,
                   details: dict[str, Any] | None = None) -> tuple[HoldRecord, bool]:
        """Put a feed on hold; (the active hold, whether this call placed it)."""
        with self._write() as session:
            row = session.scalar(select(Hold).where(
                Hold.client == client, Hold.feed == feed, Hold.status == "active"))
            if row is not None:
                return _hold(row), False
            row = Hold(client=client, feed=feed, status="active", reason=one_line(reason) or "",
                       failures=failures, placed_at=utcnow(), details=json_safe(details or {}))
            session.add(row)
            session.flush()
            return _hold(row), True

    def release_hold(self, client: str, feed: str, *, user: str,
                     note: str | None = None) -> tuple[HoldRecord, list[str]]:
        """Release a feed's hold in one transaction: the hold, its waiting files (back to
        ``discovered`` with a fresh run key), their on_hold runs, and the operator action."""
        now = utcnow()
        with self._write() as session:
            row = session.scalar(select(Hold).where(
                Hold.client == client, Hold.feed == feed, Hold.status == "active"))
            if row is None:
                raise LedgerError(f"feed {client}/{feed} is not on hold")
            row.status, row.released_at, row.released_by = "released", now, user
            files = list(session.scalars(select(File).where(
                File.client == client, File.feed == feed, File.status == "on_hold")))
            for file in files:
                file.status, file.error, file.updated_at = "discovered", None, now
                file.run_seq = (file.run_seq or 0) + 1
            held = select(Process.id).where(Process.client == client, Process.feed == feed)
            session.execute(update(ProcessRun)
                            .where(ProcessRun.process_id.in_(held),
                                   ProcessRun.status == "on_hold",
                                   ProcessRun.finished_at.is_(None))
                            .values(finished_at=now).execution_options(synchronize_session=False))
            session.add(OperatorAction(
                action="release", target=f"{client}/{feed}", user=user, at=now,
                details=json_safe({"hold_id": row.id, "note": note,
                                   "files": [f.key for f in files]})))
            session.flush()
            return _hold(row), [f.key for f in files]

    # --- errors ------------------------------------------------------------------------
    def record_error(self, *, error_class: str, category: str, message: str,
                     client: str | None = None, feed: str | None = None,
                     stage: MessageStage | None = None, file_key: str | None = None,
                     run_id: str | None = None) -> ErrorRecord:
        """Add one error to the registry."""
        if stage is not None:
            as_message_stage(stage)  # callers outside mypy's reach may pass anything
        with self._write() as session:
            row = ErrorEntry(at=utcnow(), client=client, feed=feed, stage=stage,
                             file_key=file_key, run_id=run_id, error_class=error_class[:100],
                             category=category, message=one_line(message) or error_class)
            session.add(row)
            session.flush()
            return _error(row)

    def errors(self, *, since: datetime | None = None, client: str | None = None,
               feed: str | None = None, limit: int | None = None) -> list[ErrorRecord]:
        """Registered errors, oldest first, filtered by time, client and feed."""
        stmt = select(ErrorEntry).order_by(ErrorEntry.at, ErrorEntry.id)
        if since is not None:
            stmt = stmt.where(ErrorEntry.at >= ensure_utc(since))
        if client is not None:
            stmt = stmt.where(ErrorEntry.client == client)
        if feed is not None:
            stmt = stmt.where(ErrorEntry.feed == feed)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as session:
            return [_error(r) for r in session.scalars(stmt)]


def _differs(row: Process | None, fields: dict[str, Any]) -> bool:
    """Whether a registered process is missing or differs from its spec."""
    return row is None or any(getattr(row, f) != fields[f] for f in PROCESS_FIELDS)
