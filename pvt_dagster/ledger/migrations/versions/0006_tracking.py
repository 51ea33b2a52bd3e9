"""Ledger changes for process tracking (issue: operations).

``processes`` is the registry (one row per feed stage and per source's discovery, derived from
config), ``process_runs`` one row per run of a process (``running``, ``completed``, ``failed``,
``on_hold``, with the Dagster run id), ``holds`` the feeds put on hold after repeated
operational failures, and ``errors`` the error registry.

Revision ID: 0006_tracking
Revises: 0005_comms
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_tracking"
down_revision = "0005_comms"
branch_labels = None
depends_on = None

NAME = sa.String(100)
KEY = sa.String(255)


def _ts(name: str, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create the process registry, process runs, holds and the error registry."""
    op.create_table(
        "processes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False, unique=True),
        sa.Column("client", NAME, nullable=False),
        sa.Column("feed", NAME, nullable=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("tool", sa.String(100), nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("max_failures", sa.Integer, nullable=False),
        _ts("updated_at", nullable=False),
    )
    op.create_table(
        "process_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("process_id", sa.Integer, sa.ForeignKey("processes.id"), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("file_key", KEY, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("category", sa.String(20), nullable=True),
        sa.Column("error_class", sa.String(100), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        _ts("started_at", nullable=False),
        _ts("finished_at"),
    )
    op.create_index("ix_process_runs_process", "process_runs", ["process_id", "id"])
    op.create_index("ix_process_runs_run", "process_runs", ["run_id"])
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", NAME, nullable=False),
        sa.Column("feed", NAME, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        _ts("placed_at", nullable=False),
        _ts("released_at"),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
    )
    op.create_index("ix_holds_feed", "holds", ["client", "feed", "status"])
    op.create_table(
        "errors",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at", nullable=False),
        sa.Column("client", NAME, nullable=True),
        sa.Column("feed", NAME, nullable=True),
        sa.Column("stage", sa.String(20), nullable=True),
        sa.Column("file_key", KEY, nullable=True),
        sa.Column("run_id", sa.String(100), nullable=True),
        sa.Column("error_class", sa.String(100), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_errors_at", "errors", ["at"])


def downgrade() -> None:
    """Drop the tracking tables."""
    op.drop_index("ix_errors_at", table_name="errors")
    op.drop_table("errors")
    op.drop_index("ix_holds_feed", table_name="holds")
    op.drop_table("holds")
    op.drop_index("ix_process_runs_run", table_name="process_runs")
    op.drop_index("ix_process_runs_process", table_name="process_runs")
    op.drop_table("process_runs")
    op.drop_table("processes")
