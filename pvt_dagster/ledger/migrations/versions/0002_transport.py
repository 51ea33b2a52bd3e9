"""Ledger changes for transport retries, attempts and ingestion metrics (remote sources).

Reserved in the chain so parallel work never creates two Alembic heads; empty until that
work needs a schema change.

Revision ID: 0002_transport
Revises: 0001_initial
"""

from __future__ import annotations

revision = "0002_transport"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change yet."""


def downgrade() -> None:
    """No schema change yet."""
