"""The initial ledger: observations, files, manifest events, check results, scrub changes,
messages and operator actions.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

KEY = sa.String(255)
NAME = sa.String(100)
SHA = sa.String(64)


def _ts(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every table of the initial ledger."""
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", NAME, nullable=False),
        sa.Column("source", NAME, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        _ts("first_seen_at"),
        _ts("stable_since"),
        sa.Column("seen_count", sa.Integer, nullable=False),
        _ts("last_seen_at"),
        _ts("gone_at", nullable=True),
        sa.Column("file_key", KEY, nullable=True),
        sa.UniqueConstraint("client", "source", "path", name="uq_observations_entry"),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", KEY, nullable=False, unique=True),
        sa.Column("client", NAME, nullable=False),
        sa.Column("feed", NAME, nullable=True),
        sa.Column("source", NAME, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(20), nullable=True),
        sa.Column("raw_sha256", SHA, nullable=True),
        sa.Column("bytes", sa.BigInteger, nullable=True),
        sa.Column("rows", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("vault_path", sa.Text, nullable=True),
        _ts("discovered_at"),
        _ts("received_at", nullable=True),
        _ts("updated_at"),
        sa.Column("chain_head", SHA, nullable=True),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("run_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_files_client_feed", "files", ["client", "feed"])
    op.create_index("ix_files_status", "files", ["status"])
    op.create_index("ix_files_raw_sha256", "files", ["raw_sha256"])
    op.create_table(
        "manifest_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("files.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("input_sha256", SHA, nullable=True),
        sa.Column("output_sha256", SHA, nullable=True),
        sa.Column("bytes", sa.BigInteger, nullable=True),
        sa.Column("rows", sa.BigInteger, nullable=True),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("prev_hash", SHA, nullable=False),
        sa.Column("hash", SHA, nullable=False),
        sa.UniqueConstraint("file_id", "seq", name="uq_manifest_events_seq"),
    )
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("files.id"), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("check_name", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(50), nullable=False),
        sa.Column("column", sa.Text, nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("failures", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("samples", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        _ts("recorded_at"),
        sa.UniqueConstraint("file_id", "run_id", "phase", "check_name", name="uq_check_results"),
    )
    op.create_table(
        "scrub_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("file_id", sa.Integer, sa.ForeignKey("files.id"), nullable=False),
        sa.Column("run_id", sa.String(100), nullable=False),
        sa.Column("column", sa.Text, nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("rows_changed", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("samples", sa.JSON, nullable=False),
        _ts("recorded_at"),
        sa.UniqueConstraint("file_id", "run_id", "column", "step", name="uq_scrub_changes"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dedupe_key", sa.String(400), nullable=False, unique=True),
        sa.Column("client", NAME, nullable=True),
        sa.Column("feed", NAME, nullable=True),
        sa.Column("file_key", KEY, nullable=True),
        sa.Column("stage", sa.String(20), nullable=True),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        _ts("created_at"),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _ts("sent_at", nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
    )
    op.create_index("ix_messages_status", "messages", ["status"])
    op.create_index("ix_messages_file", "messages", ["file_key"])
    op.create_table(
        "operator_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        _ts("at"),
        sa.Column("details", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the initial ledger."""
    for table in ("operator_actions", "messages", "scrub_changes", "check_results",
                  "manifest_events", "files", "observations"):
        op.drop_table(table)
