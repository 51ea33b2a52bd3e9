"""Shared fixtures of the PVT Intake test suite."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# Ledger fixtures: `ledger_url` and `ledger`.
#
# `ledger_url` is parametrized over two back ends, so every test that uses it runs twice:
#   * sqlite:   a fresh SQLite file in the test's tmp_path;
#   * postgres: the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust auth; override
#               with PVT_TEST_PG_URL). One throwaway database `pvt_test_<random>` is created per
#               session and dropped at the end; each test starts from an empty `public` schema.
#               When the server does not answer, the postgres variant is skipped with the reason.
# `ledger` is an upgraded `Ledger` on that URL, closed after the test.
# Self-contained on purpose: nothing else in this file depends on these fixtures.
# ---------------------------------------------------------------------------------------------
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from pvt_dagster.ledger import Ledger

_PG_SERVER_URL = os.environ.get(
    "PVT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def _ledger_pg_database() -> Iterator[tuple[str | None, str]]:
    """(URL of a throwaway PostgreSQL database, or None; why it is missing)."""
    server = make_url(_PG_SERVER_URL)
    name = f"pvt_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        yield None, f"PostgreSQL at {server.render_as_string(hide_password=True)} " \
                    f"does not answer: {first}"
        return
    try:
        yield server.set(database=name).render_as_string(hide_password=False), ""
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger URL: a SQLite file in tmp_path, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'home' / 'ledger.db'}"
        return
    url, reason = request.getfixturevalue("_ledger_pg_database")
    if url is None:
        pytest.skip(reason)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url


@pytest.fixture
def ledger(ledger_url: str) -> Iterator[Ledger]:
    """An upgraded Ledger on ``ledger_url``, closed after the test."""
    store = Ledger(ledger_url)
    store.upgrade()
    yield store
    store.close()


# --- end of ledger fixtures ------------------------------------------------------------------
