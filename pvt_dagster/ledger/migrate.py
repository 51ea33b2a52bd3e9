"""Alembic migrations run in code, once at a time: a lock file (SQLite) or an advisory lock.

Alembic is imported only to migrate, or when the quick check that the ledger is current
(``is_current``: the version table against the version files' ``revision`` lines) cannot
tell: every ``pvt`` command opens the ledger, and importing Alembic costs more than listing."""

from __future__ import annotations

import ast
import fcntl
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from pvt_dagster.errors import LedgerUnavailableError
from pvt_dagster.fsutil import open_private
from pvt_dagster.ledger.engine import describe_db_error, safe_url, sqlite_path

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "pvt_ledger_version"
PG_LOCK_ID = 0x5056_54C3  # any constant shared by every process upgrading this ledger
_memory_lock = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config built in code (no alembic.ini), optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    """The newest migration shipped with this package (read once per process: every run and
    sensor tick that opens the ledger checks it)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

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
    from alembic import command
    from alembic.util.exc import CommandError

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


#: ``revision = "..."`` and ``down_revision = "..." | None`` lines of a version file.
_REVISION_LINE = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(None|"[^"\n]*"|'[^'\n]*')\s*$""",
    re.MULTILINE)


@cache
def shipped_head() -> str | None:
    """``head_revision`` read from the version files' plain ``revision`` and ``down_revision``
    lines, without Alembic; None when they do not plainly name one head (ask Alembic then)."""
    revisions: set[str] = set()
    parents: set[str | None] = set()
    files = sorted((MIGRATIONS / "versions").glob("*.py"))
    for path in files:
        found = {name: ast.literal_eval(value)
                 for name, value in _REVISION_LINE.findall(path.read_text())}
        if not isinstance(found.get("revision"), str) or "down_revision" not in found:
            return None  # a merge (a tuple of parents) or an unusual file: Alembic knows
        revisions.add(found["revision"])
        parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and len(revisions) == len(files) else None


def is_current(engine: Engine) -> bool:
    """Whether the database is at ``head_revision``: one query when the version files name
    their head plainly and the version table holds just it; else Alembic decides."""
    head = shipped_head()
    if head is not None:
        with engine.connect() as conn:  # an unreachable ledger fails here, as it did
            try:
                at = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
                          .scalars())
            except DBAPIError:
                at = []  # no version table yet: Alembic says what the database is at
        if at == [head]:
            return True
    return current_revision(engine) == head_revision()
