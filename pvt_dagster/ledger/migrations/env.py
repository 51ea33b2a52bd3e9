"""Alembic environment of the ledger: always run on a connection handed over by migrate.py."""

from __future__ import annotations

from alembic import context

from pvt_dagster.ledger.models import Base

VERSION_TABLE = "pvt_ledger_version"

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by a hand-run `alembic` command
    raise RuntimeError("run ledger migrations through pvt_dagster.ledger (pvt ledger upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
