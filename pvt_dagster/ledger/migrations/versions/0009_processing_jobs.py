"""Processing jobs (issue 10): ``job_outputs`` holds the last state of every job partition:
its status (success, preliminary, error), rows, output, the inputs it was built from (and
their fingerprint, which tells when to run it again), the error, and the run that wrote it.

Revision ID: 0009_processing_jobs
Revises: 0008_faults
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_processing_jobs"
down_revision = "0008_faults"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``job_outputs``, one row per (client, job, partition)."""
    op.create_table(
        "job_outputs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("partition", sa.String(255), nullable=False),
        sa.Column("day", sa.String(10), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=True),
        sa.Column("output", sa.Text, nullable=True),
        sa.Column("inputs", sa.JSON, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("run_id", sa.String(100), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("client", "job", "partition", name="uq_job_outputs_partition"),
    )
    op.create_index("ix_job_outputs_day", "job_outputs", ["client", "job", "day"])


def downgrade() -> None:
    """Drop ``job_outputs``."""
    op.drop_index("ix_job_outputs_day", table_name="job_outputs")
    op.drop_table("job_outputs")
