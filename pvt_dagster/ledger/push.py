"""Refusals of the upload API in the ledger: one row per refused request (``push_refusals``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.models import PushRefusal
from pvt_dagster.ledger.records import one_line
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow


@dataclass(frozen=True)
class PushRefusalRecord:
    """One refused upload-API request."""

    id: int
    at: datetime
    status: int
    reason: str
    method: str
    address: str | None
    user: str | None
    client: str | None
    feed: str | None
    name: str | None


def _clip(text: str | None, limit: int) -> str | None:
    """Untrusted request text as one printable line of at most ``limit`` characters."""
    if text is None:
        return None
    printable = "".join(ch if ch.isprintable() else "?" for ch in text)
    return printable[:limit]


def _record(row: PushRefusal) -> PushRefusalRecord:
    return PushRefusalRecord(id=row.id, at=row.at, status=row.status, reason=row.reason,
                             method=row.method, address=row.address, user=row.user,
                             client=row.client, feed=row.feed, name=row.name)


class PushMixin(LedgerBase):
    """Recording and listing refusals of the upload API."""

    def record_push_refusal(self, *, status: int, reason: str, method: str,
                            address: str | None = None, user: str | None = None,
                            client: str | None = None, feed: str | None = None,
                            name: str | None = None) -> PushRefusalRecord:
        """Record one refused request (the caller never passes a secret)."""
        with self._write() as session:
            row = PushRefusal(at=utcnow(), status=status, reason=one_line(reason) or "refused",
                              method=_clip(method, 10) or "?", address=_clip(address, 64),
                              user=_clip(user, 100), client=_clip(client, 100),
                              feed=_clip(feed, 100), name=_clip(name, 255))
            session.add(row)
            session.flush()
            return _record(row)

    def push_refusals(self, *, since: datetime | None = None, client: str | None = None,
                      limit: int | None = None) -> list[PushRefusalRecord]:
        """Refused requests, oldest first, filtered by time and the client asked for."""
        stmt = select(PushRefusal).order_by(PushRefusal.at, PushRefusal.id)
        if since is not None:
            stmt = stmt.where(PushRefusal.at >= ensure_utc(since))
        if client is not None:
            stmt = stmt.where(PushRefusal.client == client)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read() as session:
            return [_record(r) for r in session.scalars(stmt)]
