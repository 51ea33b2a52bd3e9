"""Polling observations: the ledger, not a Dagster cursor, remembers what each source listed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.models import Observation
from pvt_dagster.ledger.records import ObservationRecord, observation_record
from pvt_dagster.ledger.timeutil import ensure_utc

_FIELDS = ("name", "size", "mtime", "kind", "first_seen_at", "stable_since", "seen_count",
           "last_seen_at", "gone_at", "file_key")
_SELECT = ("SELECT path, " + ", ".join(_FIELDS) + " FROM observations"
           " WHERE client = :client AND source = :source")


def _utc(value: datetime | str) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite keeps naive UTC text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _apply(row: Observation, record: ObservationRecord) -> None:
    for name in _FIELDS:
        value = getattr(record, name)
        if name in {"first_seen_at", "stable_since", "last_seen_at", "gone_at"} and value:
            value = ensure_utc(value)
        setattr(row, name, value)


def upsert_observations(session: Session, records: Iterable[ObservationRecord]) -> None:
    """Insert or update observations (one select per client and source)."""
    groups: dict[tuple[str, str], list[ObservationRecord]] = defaultdict(list)
    for record in records:
        groups[(record.client, record.source)].append(record)
    for (client, source), items in groups.items():
        paths = [r.path for r in items]
        existing: dict[str, Observation] = {}
        for i in range(0, len(paths), 500):
            chunk = paths[i:i + 500]
            stmt = select(Observation).where(Observation.client == client,
                                             Observation.source == source,
                                             Observation.path.in_(chunk))
            existing.update({row.path: row for row in session.scalars(stmt)})
        for record in items:
            row = existing.get(record.path)
            if row is None:
                row = Observation(client=client, source=source, path=record.path)
                session.add(row)
                existing[record.path] = row
            _apply(row, record)


class ObservationsMixin(LedgerBase):
    """Reading and saving polling observations."""

    def observations(
        self, client: str, source: str, *, listed_only: bool = False
    ) -> dict[str, ObservationRecord]:
        """The observations of a source by entry path: all, or only those not gone."""
        # The driver's plain rows (no ORM objects, no per-value type processing; timestamps
        # converted here once): a poll of a big folder reads every observation.
        stmt = text(_SELECT + (" AND gone_at IS NULL" if listed_only else ""))
        with self._read() as session:
            rows = session.execute(stmt, {"client": client, "source": source}).all()
        seen: dict[datetime | str, datetime] = {}  # a poll stamps many rows with one time

        def utc(value: datetime | str) -> datetime:
            found = seen.get(value)
            if found is None:
                found = seen[value] = _utc(value)
            return found

        return {path: ObservationRecord(
            client=client, source=source, path=path, name=name, size=size, mtime=mtime,
            kind=kind, first_seen_at=utc(first), stable_since=utc(stable), seen_count=count,
            last_seen_at=utc(last), gone_at=None if gone is None else utc(gone), file_key=key)
            for path, name, size, mtime, kind, first, stable, count, last, gone, key in rows}

    def observation(self, client: str, source: str, path: str) -> ObservationRecord | None:
        """The observation of one entry of a source, or None if it was never listed."""
        stmt = select(*Observation.__table__.columns).where(
            Observation.client == client, Observation.source == source, Observation.path == path)
        with self._read() as session:
            row = session.execute(stmt).first()
            return observation_record(row) if row is not None else None

    def save_observations(self, records: Iterable[ObservationRecord]) -> None:
        """Insert or update observations in one transaction."""
        records = list(records)
        if not records:
            return
        with self._write() as session:
            upsert_observations(session, records)
