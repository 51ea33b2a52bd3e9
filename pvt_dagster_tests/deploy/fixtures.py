"""A throwaway PostgreSQL database for a Dagster instance on the server at 127.0.0.1:5432
(PVT_TEST_PG_URL overrides it), created for the module and dropped after it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

PG_SERVER_URL = os.environ.get(
    "PVT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class PgDatabase:
    """Where the throwaway database is, as the instance's PVT_DAGSTER_PG_* variables."""

    host: str
    port: int
    user: str
    password: str
    name: str

    def env(self) -> dict[str, str]:
        """The PVT_DAGSTER_PG_* variables that point an instance at this database."""
        return {"PVT_DAGSTER_PG_HOST": self.host, "PVT_DAGSTER_PG_PORT": str(self.port),
                "PVT_DAGSTER_PG_USER": self.user, "PVT_DAGSTER_PG_PASSWORD": self.password,
                "PVT_DAGSTER_PG_DB": self.name}


@pytest.fixture(scope="module")
def dagster_pg_database() -> Iterator[PgDatabase]:
    """A fresh database for one test module, dropped afterwards; skips when none answers."""
    server = make_url(PG_SERVER_URL)
    name = f"pvt_dagster_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        pytest.skip(f"PostgreSQL at {server.render_as_string(hide_password=True)} "
                    f"does not answer: {first}")
    try:
        yield PgDatabase(server.host or "127.0.0.1", server.port or 5432,
                         server.username or "postgres", server.password or "", name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
