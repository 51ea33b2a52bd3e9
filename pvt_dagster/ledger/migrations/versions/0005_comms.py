"""Ledger changes for message delivery per channel (issue: communication manager).

Reserved in the chain so parallel work never creates two Alembic heads; empty until that
work needs a schema change.

Revision ID: 0005_comms
Revises: 0004_rules
"""

from __future__ import annotations

revision = "0005_comms"
down_revision = "0004_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change yet."""


def downgrade() -> None:
    """No schema change yet."""
