"""Ledger changes for message delivery per channel (issue: communication manager).

``messages.routed_at`` says when routing decided a message's channels; ``message_deliveries``
holds one row per message and channel (sent exactly once: attempts, backoff, the idempotency
key such as an email Message-ID or a Salesforce external id, and the Case id once known);
``message_digests`` holds one compiled digest email per recipient and interval.

Revision ID: 0005_comms
Revises: 0003_decrypt_replay
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005_comms"
down_revision = "0003_decrypt_replay"
branch_labels = None
depends_on = None

CHANNEL = sa.String(320)


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _attempt_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        _ts("next_attempt_at"),
        _ts("claimed_at"),
        sa.Column("last_error", sa.Text, nullable=True),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
    ]


def upgrade() -> None:
    """Add routing time, per-channel deliveries and digest batches."""
    with op.batch_alter_table("messages") as batch:
        batch.add_column(_ts("routed_at"))
    op.create_table(
        "message_digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", CHANNEL, nullable=False),
        *_attempt_columns(),
    )
    op.create_index("ix_message_digests_status", "message_digests", ["status"])
    op.create_table(
        "message_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id"), nullable=False),
        sa.Column("channel", CHANNEL, nullable=False),
        sa.Column("digest_id", sa.Integer, sa.ForeignKey("message_digests.id"), nullable=True),
        *_attempt_columns(),
        sa.UniqueConstraint("message_id", "channel", name="uq_message_deliveries"),
    )
    op.create_index("ix_message_deliveries_status", "message_deliveries",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    """Drop the delivery tables and the routing time."""
    op.drop_index("ix_message_deliveries_status", table_name="message_deliveries")
    op.drop_table("message_deliveries")
    op.drop_index("ix_message_digests_status", table_name="message_digests")
    op.drop_table("message_digests")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("routed_at")
