"""Trust under faults: how often discovery re-requested a file whose run ended without
finishing it (``auto_retries``), where its clean-up at the source stands (``source_cleanup``:
pending, done, kept, failed) with the identity the entry had when it was read
(``source_identity``: inode or ETag), and manifest event actions as long as they need to be
(``after_transfer:archive:<long path>`` overflowed VARCHAR(50) on PostgreSQL).

Revision ID: 0008_faults
Revises: 0007_stage_outputs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_faults"
down_revision = "0007_stage_outputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the file columns; widen the event action."""
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("auto_retries", sa.Integer, nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("source_cleanup", sa.String(20), nullable=True))
        batch.add_column(sa.Column("source_identity", sa.Text, nullable=True))
    with op.batch_alter_table("manifest_events") as batch:
        batch.alter_column("action", type_=sa.Text, existing_type=sa.String(50),
                           existing_nullable=False)


def downgrade() -> None:
    """Drop the file columns (event actions stay wide)."""
    with op.batch_alter_table("files") as batch:
        batch.drop_column("source_identity")
        batch.drop_column("source_cleanup")
        batch.drop_column("auto_retries")
