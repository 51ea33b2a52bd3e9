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
# Nothing else in this file depends on these fixtures.
# ---------------------------------------------------------------------------------------------
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pvt_dagster.ledger import Ledger
from pvt_dagster_tests.support.servers.postgres import PostgresMissing, throwaway_database


@pytest.fixture(scope="session")
def _ledger_pg_database() -> Iterator[tuple[str | None, str]]:
    """(URL of a throwaway PostgreSQL database, or None; why it is missing)."""
    try:
        with throwaway_database("pvt_test") as database:
            yield database.sqlalchemy_url, ""
    except PostgresMissing as exc:
        yield None, str(exc)


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
