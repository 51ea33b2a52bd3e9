"""What the later stages read, as typed columns of ``files`` (issue: typed stages): the
sha256 of the decrypted and of the scrubbed output, filled from the metrics of files that
already have them.

Revision ID: 0007_stage_outputs
Revises: 0006_tracking
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_stage_outputs"
down_revision = "0006_tracking"
branch_labels = None
depends_on = None

_FILES = sa.table("files", sa.column("id", sa.Integer), sa.column("metrics", sa.JSON),
                  sa.column("decrypted_sha256", sa.String(64)),
                  sa.column("scrubbed_sha256", sa.String(64)))


def upgrade() -> None:
    """Add the columns, then copy the values the metrics already hold."""
    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("decrypted_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("scrubbed_sha256", sa.String(64), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_FILES.c.id, _FILES.c.metrics)):
        metrics = row.metrics or {}
        values = {column: (metrics.get(stage) or {}).get("sha256")
                  for column, stage in (("decrypted_sha256", "decrypted"),
                                        ("scrubbed_sha256", "scrubbed"))}
        if any(values.values()):
            connection.execute(sa.update(_FILES).where(_FILES.c.id == row.id).values(**values))


def downgrade() -> None:
    """Drop the columns (the metrics still hold the values)."""
    with op.batch_alter_table("files") as batch:
        batch.drop_column("scrubbed_sha256")
        batch.drop_column("decrypted_sha256")
