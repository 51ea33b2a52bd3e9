"""Push intake (issue: client-facing intake): every request the upload API refused, with its
status and reason (``push_refusals``).

Revision ID: 0010_push_refusals
Revises: 0009_processing_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_push_refusals"
down_revision = "0009_processing_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the refusals table and its time index."""
    op.create_table(
        "push_refusals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("user", sa.String(100), nullable=True),
        sa.Column("client", sa.String(100), nullable=True),
        sa.Column("feed", sa.String(100), nullable=True),
        sa.Column("name", sa.Text, nullable=True),
    )
    op.create_index("ix_push_refusals_at", "push_refusals", ["at"])


def downgrade() -> None:
    """Drop the refusals table."""
    op.drop_index("ix_push_refusals_at", table_name="push_refusals")
    op.drop_table("push_refusals")
