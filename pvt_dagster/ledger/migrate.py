"""Alembic migrations run in code, once at a time: a lock file (SQLite) or an advisory lock.

Alembic is imported only to migrate: every run worker opens the ledger, and checking that it
is at the newest revision reads the version table and the scripts' revision lines directly."""

from __future__ import annotations

import ast
import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
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
    """The newest migration shipped with this package: the one revision no script names as
    its ``down_revision`` (Alembic decides when the scripts do not make one such head)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        ids = _revision_ids(path)
        if ids is None:
            return _alembic_head()
        revisions.add(ids[0])
        parents.update(ids[1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else _alembic_head()


def _revision_ids(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """A script's ``revision`` id and the ids it revises (None unless both are literals)."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision", ...)
    downs = () if down is None else (down,) if isinstance(down, str) else down
    if (not isinstance(revision, str) or not isinstance(downs, tuple | list)
            or not all(isinstance(d, str) for d in downs)):
        return None
    return revision, tuple(downs)


def _alembic_head() -> str | None:
    """The head as Alembic computes it from the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        stamped = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    if len(stamped) > 1:
        raise LedgerUnavailableError(
            f"the ledger {safe_url(engine.url)} has {len(stamped)} revisions in "
            f"{VERSION_TABLE} ({', '.join(sorted(stamped))}); it should have one")
    return stamped[0] if stamped else None


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
