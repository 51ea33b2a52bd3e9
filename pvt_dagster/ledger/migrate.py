"""Alembic migrations run in code, once at a time: a lock file (SQLite) or an advisory lock."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pvt_dagster.errors import LedgerUnavailableError
from pvt_dagster.fsutil import open_private
from pvt_dagster.ledger.engine import describe_db_error, safe_url, sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "pvt_ledger_version"
PG_LOCK_ID = 0x5056_54C3  # any constant shared by every process upgrading this ledger
_memory_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini), optionally bound to a connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this package (read once per process: every run and
    sensor tick that opens the ledger checks it)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    fd = open_private(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def upgrade(engine: Engine) -> None:
    """Bring the ledger to the newest revision, one process at a time; idempotent."""
    url = engine.url
    try:
        if engine.dialect.name == "sqlite":
            db = sqlite_path(url)
            lock = (_file_lock(db.with_name(db.name + ".lock")) if db is not None
                    else _locked(_memory_lock))
            with lock, engine.connect() as conn:
                conn.execution_options(pvt_immediate=True)
                with conn.begin():
                    command.upgrade(alembic_config(conn), "head")
        else:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": PG_LOCK_ID})
                command.upgrade(alembic_config(conn), "head")
    except DBAPIError as exc:
        raise LedgerUnavailableError(describe_db_error(url, exc)) from exc
    except CommandError as exc:
        raise LedgerUnavailableError(
            f"the ledger {safe_url(url)} cannot be migrated: {' '.join(str(exc).split())}"
        ) from exc
    except OSError as exc:
        raise LedgerUnavailableError(
            f"the ledger {safe_url(url)} cannot be locked for migration: {exc}"
        ) from exc


@contextmanager
def _locked(lock: threading.Lock) -> Iterator[None]:
    with lock:
        yield
