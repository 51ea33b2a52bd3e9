"""Throwaway databases on the PostgreSQL server at 127.0.0.1:5432 (``PVT_TEST_PG_URL``
overrides it): created for a test or a check, dropped (WITH FORCE) afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

PG_SERVER_URL = os.environ.get(
    "PVT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class PostgresMissing(RuntimeError):
    """No PostgreSQL server answers at ``PG_SERVER_URL``; the text says why (a skip reason)."""


@dataclass(frozen=True)
class PgDatabase:
    """A throwaway database: where it is, as a URL and as an instance's PVT_DAGSTER_PG_*."""

    url: URL
    name: str

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with its password, for SQLAlchemy (the ledger's ``url:``)."""
        return self.url.render_as_string(hide_password=False)

    def env(self) -> dict[str, str]:
        """The PVT_DAGSTER_PG_* variables that point an instance at this database."""
        return {"PVT_DAGSTER_PG_HOST": self.url.host or "127.0.0.1",
                "PVT_DAGSTER_PG_PORT": str(self.url.port or 5432),
                "PVT_DAGSTER_PG_USER": self.url.username or "postgres",
                "PVT_DAGSTER_PG_PASSWORD": self.url.password or "",
                "PVT_DAGSTER_PG_DB": self.name}


@contextmanager
def throwaway_database(prefix: str) -> Iterator[PgDatabase]:
    """A fresh database named ``<prefix>_<random>``, dropped afterwards; PostgresMissing
    when the server does not answer."""
    server = make_url(PG_SERVER_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise PostgresMissing(f"PostgreSQL at {server.render_as_string(hide_password=True)} "
                              f"does not answer: {first}") from exc
    try:
        yield PgDatabase(server.set(database=name), name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
