"""Ledger changes for keystore, replay and verification (issue: decrypt manager and ledger).

Reserved in the chain so parallel work never creates two Alembic heads; empty until that
work needs a schema change.

Revision ID: 0003_decrypt_replay
Revises: 0002_transport
"""

from __future__ import annotations

revision = "0003_decrypt_replay"
down_revision = "0002_transport"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change yet."""


def downgrade() -> None:
    """No schema change yet."""
