"""A throwaway PostgreSQL database for a Dagster instance, created for the module and dropped
after it (skipped when no server answers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pvt_dagster_tests.support.servers.postgres import (
    PgDatabase,
    PostgresMissing,
    throwaway_database,
)


@pytest.fixture(scope="module")
def dagster_pg_database() -> Iterator[PgDatabase]:
    """A fresh database for one test module, dropped afterwards; skips when none answers."""
    try:
        with throwaway_database("pvt_dagster") as database:
            yield database
    except PostgresMissing as exc:
        pytest.skip(str(exc))
