"""Trust under faults: no user-controlled text overflows a column on PostgreSQL. Who did an
operator action (``$PVT_USER`` or the login name), who released a hold, a process run's actor
and error class (a custom script's exception), and check names (made from the config's column
names) become TEXT; PostgreSQL refused a longer value with "value too long for type character
varying" and the action or stage failed.

Revision ID: 0011_keys_long_text
Revises: 0010_push_refusals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_keys_long_text"
down_revision = "0010_push_refusals"
branch_labels = None
depends_on = None

#: (table, column, former type, nullable)
WIDENED = [
    ("operator_actions", "user", sa.String(200), False),
    ("holds", "released_by", sa.String(200), True),
    ("process_runs", "actor", sa.String(200), False),
    ("process_runs", "error_class", sa.String(100), True),
    ("check_results", "check_name", sa.String(200), False),
]


def upgrade() -> None:
    """Widen the columns to TEXT."""
    for table, column, former, nullable in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text, existing_type=former,
                               existing_nullable=nullable)


def downgrade() -> None:
    """Nothing: the columns stay wide (shortening could fail on longer values)."""
