"""The message outbox and the record of operator actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pvt_dagster.domain import MessageStage, Severity, as_message_stage, as_severity
from pvt_dagster.ledger.chain import json_safe
from pvt_dagster.ledger.channel_sends import ChannelSendsMixin
from pvt_dagster.ledger.models import Message, OperatorAction
from pvt_dagster.ledger.records import (
    MessageRecord,
    OperatorActionRecord,
    message_record,
)
from pvt_dagster.ledger.timeutil import utcnow


def _action_record(row: OperatorAction) -> OperatorActionRecord:
    return OperatorActionRecord(id=row.id, action=row.action, target=row.target,
                                user=row.user, at=row.at, details=dict(row.details or {}))


class OutboxMixin(ChannelSendsMixin):
    """Messages waiting to be sent (per channel: see ``channel_sends``), and who did what."""

    def record_message(
        self, *, dedupe_key: str, client: str | None, feed: str | None,
        file_key: str | None, stage: MessageStage | None, kind: str, severity: Severity,
        text: str, details: dict[str, Any] | None = None,
    ) -> MessageRecord:
        """Queue a message; a message with the same dedupe_key is returned instead of doubled."""
        as_severity(severity)  # checked here too: callers outside mypy's reach may pass anything
        if stage is not None:
            as_message_stage(stage)
        for attempt in range(3):
            try:
                with self._write() as session:
                    row = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
                    if row is None:
                        row = Message(
                            dedupe_key=dedupe_key, client=client, feed=feed, file_key=file_key,
                            stage=stage, kind=kind, severity=severity, text=text,
                            details=json_safe(details or {}), created_at=utcnow(),
                            status="pending", attempts=0,
                        )
                        session.add(row)
                        session.flush()
                    return message_record(row)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def messages(
        self, *, file_key: str | None = None, pending: bool | None = None
    ) -> list[MessageRecord]:
        """Messages, oldest first: of one file, and only pending (True) or not pending (False)."""
        stmt = select(Message).order_by(Message.created_at, Message.id)
        if file_key is not None:
            stmt = stmt.where(Message.file_key == file_key)
        if pending is True:
            stmt = stmt.where(Message.status == "pending")
        elif pending is False:
            stmt = stmt.where(Message.status != "pending")
        with self._read() as session:
            return [message_record(row) for row in session.scalars(stmt)]

    def record_operator_action(
        self, *, action: str, target: str, user: str, details: dict[str, Any] | None = None
    ) -> OperatorActionRecord:
        """Record an operator's act (release, replay, ingest, trust a host key)."""
        with self._write() as session:
            row = OperatorAction(action=action, target=target, user=user, at=utcnow(),
                                 details=json_safe(details or {}))
            session.add(row)
            session.flush()
            return _action_record(row)

    def operator_actions(self, *, target: str | None = None) -> list[OperatorActionRecord]:
        """Recorded operator actions, oldest first (optionally for one target)."""
        stmt = select(OperatorAction).order_by(OperatorAction.at, OperatorAction.id)
        if target is not None:
            stmt = stmt.where(OperatorAction.target == target)
        with self._read() as session:
            return [_action_record(row) for row in session.scalars(stmt)]
