"""Ledger changes for rule results and reports (issue: validation and scrubbing).

Reserved in the chain so parallel work never creates two Alembic heads; empty until that
work needs a schema change.

Revision ID: 0004_rules
Revises: 0003_decrypt_replay
"""

from __future__ import annotations

revision = "0004_rules"
down_revision = "0003_decrypt_replay"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change yet."""


def downgrade() -> None:
    """No schema change yet."""
