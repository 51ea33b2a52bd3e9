"""Ledger changes for keystore, replay and verification (issue: decrypt manager and ledger).

Manifest events get the names of their input and output (a source path, a vault or work path,
a delivery file) and a ``hash_version``: events written before this revision keep version 1 and
are verified over the fields they were hashed with; new events are version 2 and their hash
covers the names too.

Revision ID: 0003_decrypt_replay
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_decrypt_replay"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add input_name, output_name and hash_version (1 for existing events) to events."""
    with op.batch_alter_table("manifest_events") as batch:
        batch.add_column(sa.Column("input_name", sa.Text, nullable=True))
        batch.add_column(sa.Column("output_name", sa.Text, nullable=True))
        batch.add_column(sa.Column("hash_version", sa.Integer, nullable=False,
                                   server_default="1"))


def downgrade() -> None:
    """Drop the columns again (version 2 events then no longer verify)."""
    with op.batch_alter_table("manifest_events") as batch:
        batch.drop_column("hash_version")
        batch.drop_column("output_name")
        batch.drop_column("input_name")
