"""Sends of outbox messages on their channels (email, digest, Salesforce; not the data files
``delivery/`` writes): routing, claim-then-send, backoff, digest batches.

Every send is claimed first in its own committed transaction (status ``sending``, one more
attempt, ``claimed_at``), then sent, then marked. A claim that is never marked (the process
died) becomes claimable again once it is older than ``stale_before``; the idempotency key
(an email Message-ID, a Salesforce external id) was recorded before the first send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pvt_dagster.domain import SendStatus, as_send_status
from pvt_dagster.errors import LedgerError
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.models import File, Message, MessageDelivery, MessageDigest
from pvt_dagster.ledger.records import MessageRecord, message_record, one_line

DIGEST_PREFIX = "digest:"
OPEN: tuple[SendStatus, ...] = ("pending", "sending", "batched")


@dataclass(frozen=True)
class DeliveryRecord:
    """One message on one channel (or one digest email): status, attempts and ids."""

    id: int
    channel: str
    status: SendStatus
    attempts: int
    idempotency_key: str
    external_id: str | None
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    message_id: int | None = None  # None for a digest
    digest_id: int | None = None


def _record(row: MessageDelivery | MessageDigest) -> DeliveryRecord:
    extra: dict[str, Any] = {}
    if isinstance(row, MessageDelivery):
        extra = {"message_id": row.message_id, "digest_id": row.digest_id}
    return DeliveryRecord(
        id=row.id, channel=row.channel, status=as_send_status(row.status), attempts=row.attempts,
        idempotency_key=row.idempotency_key, external_id=row.external_id,
        next_attempt_at=row.next_attempt_at, claimed_at=row.claimed_at,
        last_error=row.last_error, created_at=row.created_at, sent_at=row.sent_at, **extra)


Table = type[MessageDelivery] | type[MessageDigest]


class ChannelSendsMixin(LedgerBase):
    """Where each message stands on each of its channels."""

    # --- routing -----------------------------------------------------------------------
    def unrouted_messages(self, *, limit: int = 500) -> list[MessageRecord]:
        """Pending messages whose channels are not decided yet, oldest first."""
        stmt = (select(Message).where(Message.routed_at.is_(None), Message.status == "pending")
                .order_by(Message.id).limit(limit))
        with self._read() as session:
            return [message_record(row) for row in session.scalars(stmt)]

    def route_message(self, message_id: int, channels: dict[str, str], *,
                      at: datetime) -> list[DeliveryRecord]:
        """Record the channels (name -> idempotency key) of a message, once; idempotent."""
        try:
            with self._write() as session:
                message = session.get(Message, message_id)
                if message is None:
                    raise LedgerError(f"no message with id {message_id}")
                if message.routed_at is None:
                    for channel, key in channels.items():
                        session.add(MessageDelivery(
                            message_id=message_id, channel=channel, status="pending",
                            attempts=0, idempotency_key=key, created_at=at))
                    message.routed_at = at
                    session.flush()
                    _refresh_message(session, message)
        except IntegrityError:
            pass  # another dispatcher routed it at the same moment
        return self.deliveries_of(message_id)

    def deliveries_of(self, message_id: int) -> list[DeliveryRecord]:
        """The channel deliveries of one message."""
        return self.deliveries([message_id]).get(message_id, [])

    def deliveries(self, message_ids: list[int] | None = None) -> dict[int, list[DeliveryRecord]]:
        """Deliveries by message id (all of them, or of the given messages)."""
        stmt = select(MessageDelivery).order_by(MessageDelivery.id)
        if message_ids is not None:
            stmt = stmt.where(MessageDelivery.message_id.in_(message_ids))
        out: dict[int, list[DeliveryRecord]] = {}
        with self._read() as session:
            for row in session.scalars(stmt):
                out.setdefault(row.message_id, []).append(_record(row))
        return out

    def file_deliveries(self, file_key: str, channel: str) -> list[tuple[MessageRecord,
                                                                          DeliveryRecord]]:
        """Each message of a file that went (or is going) to ``channel``, with its delivery."""
        stmt = (select(Message, MessageDelivery)
                .join(MessageDelivery, MessageDelivery.message_id == Message.id)
                .where(Message.file_key == file_key, MessageDelivery.channel == channel)
                .order_by(Message.id))
        with self._read() as session:
            return [(message_record(m), _record(d)) for m, d in session.execute(stmt)]

    def recovered_files(self) -> list[tuple[str, int]]:
        """(file key, id of its latest problem) for delivered files with failure messages."""
        stmt = (select(Message.file_key, func.max(Message.id))
                .join(File, File.key == Message.file_key)
                .where(File.status == "delivered", Message.severity == "failure",
                       Message.kind != "resolved")
                .group_by(Message.file_key))
        with self._read() as session:
            return [(key, last) for key, last in session.execute(stmt) if key is not None]

    def has_message(self, dedupe_key: str) -> bool:
        """Whether a message with this dedupe key exists."""
        with self._read() as session:
            return session.scalar(
                select(Message.id).where(Message.dedupe_key == dedupe_key)) is not None

    # --- claim, send, mark (single deliveries and digests alike) -----------------------
    def due_deliveries(self, *, now: datetime, stale_before: datetime,
                       limit: int = 200) -> list[DeliveryRecord]:
        """Non-digest deliveries to attempt now: pending and due, or claimed and stale."""
        return self._due(MessageDelivery, now, stale_before, limit,
                         ~MessageDelivery.channel.startswith(DIGEST_PREFIX))

    def due_digests(self, *, now: datetime, stale_before: datetime,
                    limit: int = 50) -> list[DeliveryRecord]:
        """Digest emails to attempt now."""
        return self._due(MessageDigest, now, stale_before, limit)

    def _due(self, table: Table, now: datetime, stale_before: datetime, limit: int,
             *extra: Any) -> list[DeliveryRecord]:
        stmt = (select(table).where(_claimable(table, now, stale_before), *extra)
                .order_by(table.id).limit(limit))
        with self._read() as session:
            return [_record(_row(row)) for row in session.scalars(stmt)]

    def claim(self, delivery: DeliveryRecord, *, now: datetime,
              stale_before: datetime) -> DeliveryRecord | None:
        """Take a delivery (or digest) for one attempt; None if someone else has it."""
        table = _table(delivery)
        with self._write() as session:
            result = session.execute(
                update(table)
                .where(table.id == delivery.id, _claimable(table, now, stale_before))
                .values(status="sending", claimed_at=now, attempts=table.attempts + 1)
                .execution_options(synchronize_session=False))
            if getattr(result, "rowcount", 0) != 1:
                return None
            return _record(_row(session.get_one(table, delivery.id, populate_existing=True)))

    def mark_sent(self, delivery: DeliveryRecord, *, at: datetime,
                  external_id: str | None = None) -> DeliveryRecord:
        """The send succeeded: keep the external id (Message-ID, Case id)."""
        return self._finish(delivery, status="sent", sent_at=at, last_error=None,
                            external_id=external_id or delivery.external_id,
                            next_attempt_at=None)

    def mark_failed(self, delivery: DeliveryRecord, error: str, *,
                    retry_at: datetime | None) -> DeliveryRecord:
        """The send failed: retry at ``retry_at``, or give up for good when it is None."""
        return self._finish(delivery, status="pending" if retry_at else "failed",
                            last_error=one_line(error), next_attempt_at=retry_at)

    def _finish(self, delivery: DeliveryRecord, **values: Any) -> DeliveryRecord:
        table = _table(delivery)
        with self._write() as session:
            found = session.get(table, delivery.id, with_for_update=True)
            if found is None:
                raise LedgerError(f"no delivery with id {delivery.id}")
            row = _row(found)
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            _refresh_after(session, row, values)
            return _record(row)

    def defer_channel(self, channel: str, until: datetime) -> None:
        """Push every pending delivery of a channel that is down to ``until``."""
        with self._write() as session:
            session.execute(
                update(MessageDelivery)
                .where(MessageDelivery.channel == channel, MessageDelivery.status == "pending",
                       or_(MessageDelivery.next_attempt_at.is_(None),
                           MessageDelivery.next_attempt_at < until))
                .values(next_attempt_at=until).execution_options(synchronize_session=False))

    # --- digests -----------------------------------------------------------------------
    def digest_channels_due(self, cutoff: datetime) -> list[str]:
        """Digest channels holding a message that has waited since ``cutoff`` or longer."""
        stmt = (select(MessageDelivery.channel).distinct()
                .where(MessageDelivery.channel.startswith(DIGEST_PREFIX),
                       MessageDelivery.status == "pending",
                       MessageDelivery.created_at <= cutoff))
        with self._read() as session:
            return sorted(session.scalars(stmt))

    def open_digest(self, channel: str, *, at: datetime, idempotency_key: str
                    ) -> DeliveryRecord | None:
        """Batch every waiting message of a digest channel into one digest email."""
        with self._write() as session:
            waiting = list(session.scalars(select(MessageDelivery).where(
                MessageDelivery.channel == channel, MessageDelivery.status == "pending")))
            if not waiting:
                return None
            digest = MessageDigest(channel=channel, status="pending", attempts=0,
                                   idempotency_key=idempotency_key, created_at=at)
            session.add(digest)
            session.flush()
            for row in waiting:
                row.status, row.digest_id = "batched", digest.id
            return _record(digest)

    def digest_messages(self, digest_id: int) -> list[MessageRecord]:
        """The messages one digest holds, oldest first."""
        stmt = (select(Message).join(MessageDelivery, MessageDelivery.message_id == Message.id)
                .where(MessageDelivery.digest_id == digest_id).order_by(Message.id))
        with self._read() as session:
            return [message_record(row) for row in session.scalars(stmt)]

    def message(self, message_id: int) -> MessageRecord:
        """One message by id."""
        with self._read() as session:
            row = session.get(Message, message_id)
            if row is None:
                raise LedgerError(f"no message with id {message_id}")
            return message_record(row)


def _row(row: object) -> MessageDelivery | MessageDigest:
    assert isinstance(row, MessageDelivery | MessageDigest)
    return row


def _table(delivery: DeliveryRecord) -> Table:
    return MessageDigest if delivery.message_id is None else MessageDelivery


def _claimable(table: Table, now: datetime, stale_before: datetime) -> Any:
    return or_(
        and_(table.status == "pending",
             or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now)),
        and_(table.status == "sending", table.claimed_at < stale_before))


def _refresh_after(session: Session, row: MessageDelivery | MessageDigest,
                   values: dict[str, Any]) -> None:
    """Carry a digest's outcome to the deliveries it holds, then refresh their messages."""
    if isinstance(row, MessageDelivery):
        message = session.get(Message, row.message_id)
        if message is not None:
            _refresh_message(session, message)
        return
    items = list(session.scalars(select(MessageDelivery).where(
        MessageDelivery.digest_id == row.id)))
    for item in items:
        item.attempts = row.attempts
        item.last_error = row.last_error
        if row.status in ("sent", "failed"):
            item.status, item.sent_at, item.external_id = row.status, row.sent_at, row.external_id
        item.next_attempt_at = row.next_attempt_at
    session.flush()
    for item in items:
        message = session.get(Message, item.message_id)
        if message is not None:
            _refresh_message(session, message)


def _refresh_message(session: Session, message: Message) -> None:
    """A message's own status: pending while a channel is open, failed if one gave up."""
    rows = list(session.scalars(select(MessageDelivery).where(
        MessageDelivery.message_id == message.id)))
    statuses = {r.status for r in rows}
    message.attempts = sum(r.attempts for r in rows)
    errors = [r.last_error for r in rows if r.last_error]
    message.last_error = errors[-1] if errors else None
    if statuses & set(OPEN):
        message.status = "pending"
    elif "failed" in statuses:
        message.status = "failed"
    else:
        message.status = "sent"
        sent = [r.sent_at for r in rows if r.sent_at is not None]
        message.sent_at = max(sent) if sent else message.routed_at
