"""File rows: creation with a unique key, look-ups, updates and duplicate detection."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar, Unpack

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pvt_dagster.domain import Status, as_stage, as_status
from pvt_dagster.errors import LedgerError, UnknownFileError
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.keys import make_file_key
from pvt_dagster.ledger.models import File
from pvt_dagster.ledger.observations import upsert_observations
from pvt_dagster.ledger.records import (
    FileRecord,
    FileUpdate,
    NewFile,
    ObservationRecord,
    file_record,
    one_line,
)
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow

_KEY_ATTEMPTS = 20
FIXED_FIELDS = frozenset({"id", "key", "chain_head", "event_count", "updated_at"})
UPDATABLE_FIELDS = frozenset(f.name for f in dataclasses.fields(FileRecord)) - FIXED_FIELDS
#: Listings read plain rows, not ORM objects: a poll of a big folder reads thousands of files.
FILE_COLUMNS = tuple(File.__table__.columns)


class FileLine(NamedTuple):
    """What a listing of files shows of each: plain column values, no record conversion."""

    key: str
    status: str
    stage: str | None
    rows: int | None
    error: str | None


def file_row(session: Session, key: str, *, for_update: bool = False) -> File:
    """The row of a file; UnknownFileError if there is none."""
    stmt = select(File).where(File.key == key)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise UnknownFileError(f"no file with key {key!r} in the ledger")
    return row


def _check_fields(fields: FileUpdate) -> FileUpdate:
    """The fields, checked (known columns, a known status and stage: callers outside mypy's
    reach may pass anything) and normalised (one-line error, UTC times, a plain dict)."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise ValueError(f"cannot update file field(s): {', '.join(sorted(unknown))}")
    if "status" in fields:
        as_status(fields["status"])
    stage = fields.get("stage")
    if stage is not None:
        as_stage(stage)
    if "error" in fields:
        fields["error"] = one_line(fields["error"])
    if "discovered_at" in fields:
        fields["discovered_at"] = ensure_utc(fields["discovered_at"])
    received_at = fields.get("received_at")
    if received_at is not None:
        fields["received_at"] = ensure_utc(received_at)
    if "metrics" in fields:
        fields["metrics"] = dict(fields["metrics"] or {})
    return fields


def _statuses(status: Status | Collection[Status]) -> list[Status]:
    if isinstance(status, str):
        return [as_status(status)]
    return list(status)


#: Any SELECT statement, its column types kept.
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def where_files(stmt: SelectT, *, client: str | None = None, feed: str | None = None,
                status: Status | Collection[Status] | None = None) -> SelectT:
    """``stmt`` narrowed to the files of a client, a feed and a status (each when given)."""
    if client is not None:
        stmt = stmt.where(File.client == client)
    if feed is not None:
        stmt = stmt.where(File.feed == feed)
    if status is not None:
        stmt = stmt.where(File.status.in_(_statuses(status)))
    return stmt


def _insert_files(session: Session, new: Sequence[NewFile]) -> list[FileRecord]:
    """Insert the rows (keys unique against the ledger and each other) and their observations."""
    assigned: set[str] = set()

    def taken(key: str) -> bool:
        return key in assigned or session.scalar(select(File.id).where(File.key == key)) is not None

    rows: list[File] = []
    for spec in new:
        first_seen = ensure_utc(spec.first_seen)
        key = make_file_key(spec.client, spec.feed, first_seen, spec.name, taken)
        assigned.add(key)
        rows.append(File(
            key=key, client=spec.client, feed=spec.feed, source=spec.source, name=spec.name,
            path=spec.path, size=spec.size, mtime=spec.mtime, status=spec.status,
            error=one_line(spec.error), discovered_at=first_seen, updated_at=utcnow(),
            event_count=0, metrics={}, run_seq=0,
        ))
    session.add_all(rows)
    session.flush()
    upsert_observations(session, [
        dataclasses.replace(spec.observation, file_key=row.key)
        for spec, row in zip(new, rows, strict=True) if spec.observation is not None])
    return [file_record(row) for row in rows]


class FilesMixin(LedgerBase):
    """Creating, finding and updating file rows."""

    def create_file(
        self, *, client: str, feed: str | None, source: str, name: str, path: str,
        size: int, mtime: float, first_seen: datetime, status: Status = "discovered",
        error: str | None = None, observation: ObservationRecord | None = None,
    ) -> FileRecord:
        """A new file row with a unique key; ``observation`` is saved with it, linked to it."""
        (record,) = self.create_files([NewFile(
            client=client, feed=feed, source=source, name=name, path=path, size=size,
            mtime=mtime, first_seen=first_seen, status=status, error=error,
            observation=observation)])
        return record

    def create_files(self, new: Sequence[NewFile]) -> list[FileRecord]:
        """New file rows in one transaction, each with a key unique in the ledger and the
        batch; their observations are saved with them, linked to them. A key taken by a
        concurrent writer makes the whole batch retry with fresh keys."""
        if not new:
            return []
        for spec in new:
            _check_fields({"status": spec.status})
        for attempt in range(_KEY_ATTEMPTS):
            try:
                with self._write() as session:
                    return _insert_files(session, new)
            except IntegrityError as exc:
                if attempt == _KEY_ATTEMPTS - 1:
                    raise LedgerError(f"could not assign unique keys to {len(new)} file(s)"
                                      ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def get_file(self, key: str) -> FileRecord:
        """The file with this key; UnknownFileError if there is none."""
        with self._read() as session:
            return file_record(file_row(session, key))

    def find_file(self, key: str) -> FileRecord | None:
        """The file with this key, or None."""
        with self._read() as session:
            row = session.scalar(select(File).where(File.key == key))
            return file_record(row) if row is not None else None

    def files_by_key(self, keys: Iterable[str]) -> dict[str, FileRecord]:
        """The files with these keys (unknown keys are left out)."""
        wanted = sorted(set(keys))
        found: dict[str, FileRecord] = {}
        with self._read() as session:
            for i in range(0, len(wanted), 500):
                stmt = select(*FILE_COLUMNS).where(File.key.in_(wanted[i:i + 500]))
                found.update({row.key: file_record(row) for row in session.execute(stmt)})
        return found

    def list_files(
        self, *, client: str | None = None, feed: str | None = None,
        status: Status | Collection[Status] | None = None, source: str | None = None,
        source_cleanup: Collection[str] | None = None,
    ) -> list[FileRecord]:
        """Files matching every filter given, oldest discovery first."""
        stmt = where_files(select(*FILE_COLUMNS).order_by(File.discovered_at, File.id),
                           client=client, feed=feed, status=status)
        if source is not None:
            stmt = stmt.where(File.source == source)
        if source_cleanup is not None:
            stmt = stmt.where(File.source_cleanup.in_(list(source_cleanup)))
        with self._read() as session:
            return [file_record(row) for row in session.execute(stmt)]

    def update_file(self, key: str, **fields: Unpack[FileUpdate]) -> FileRecord:
        """Set columns of a file (and ``updated_at``); returns the updated record."""
        fields = _check_fields(fields)
        with self._write() as session:
            row = file_row(session, key, for_update=True)
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return file_record(row)

    def merge_file_metrics(self, key: str, merge: dict[str, Any],
                           **fields: Unpack[FileUpdate]) -> FileRecord:
        """Merge ``merge`` (stage -> values) into the file's metrics and set ``fields``, in
        one write transaction on the locked row (FOR UPDATE; SQLite: BEGIN IMMEDIATE), so
        stages that finish at once never lose each other's metrics."""
        fields = _check_fields(fields)
        if "metrics" in fields:
            raise ValueError("merge_file_metrics merges metrics; do not also set them")
        with self._write() as session:
            row = file_row(session, key, for_update=True)
            row.metrics = {**(row.metrics or {}), **merge}
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return file_record(row)

    def transition_file(
        self, key: str, *, from_status: Status | Collection[Status], **fields: Unpack[FileUpdate]
    ) -> FileRecord | None:
        """Like update_file, but only if the status is still one of ``from_status``; else None."""
        fields = _check_fields(fields)
        with self._write() as session:
            row = file_row(session, key, for_update=True)
            if row.status not in _statuses(from_status):
                return None
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            session.flush()
            return file_record(row)

    def find_delivered_duplicate(
        self, client: str, feed: str | None, raw_sha256: str, exclude_key: str
    ) -> FileRecord | None:
        """An earlier delivered file of the same feed with the same raw sha256, or None (a
        failed file's bytes may come again: that is how a client resends a fixed file)."""
        stmt = (
            select(File)
            .where(File.client == client, File.feed == feed, File.raw_sha256 == raw_sha256,
                   File.key != exclude_key, File.status == "delivered")
            .order_by(File.discovered_at, File.id)
            .limit(1)
        )
        with self._read() as session:
            row = session.scalar(stmt)
            return file_record(row) if row is not None else None

    def list_file_lines(
        self, *, client: str | None = None, feed: str | None = None,
        status: Status | Collection[Status] | None = None,
    ) -> list[FileLine]:
        """Like ``list_files``, but only the columns a listing shows, as plain tuples: a feed
        may hold years of files, and a FileRecord per row costs more than the query."""
        stmt = where_files(select(File.key, File.status, File.stage, File.rows, File.error)
                           .order_by(File.discovered_at, File.id),
                           client=client, feed=feed, status=status)
        with self._read() as session:  # Core, not ORM, execution: plain rows, no loading
            return list(map(FileLine._make, session.connection().execute(stmt).all()))
