"""Connections to the ledger database: SQLite set-up, sessions and error translation.

Every engine is made with ``hide_parameters=True``: a database error never carries the row's
values (an SSN in a sample, a name) into a message, a log or the Dagster UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from pvt_dagster.errors import LedgerUnavailableError
from pvt_dagster.fsutil import ensure_private_dir, touch_private

BUSY_TIMEOUT_MS = 30_000
_IMMEDIATE = "pvt_immediate"


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid ledger URL>"


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the parent folder 0700 and the database file 0600 if they are missing."""
    ensure_private_dir(path.parent)  # safe when several processes open a new ledger at once
    if not path.exists():
        touch_private(path)


def _sqlite_engine(url: URL) -> Engine:
    path = sqlite_path(url)
    if path is None:
        engine = create_engine(url, poolclass=StaticPool, hide_parameters=True,
                               connect_args={"check_same_thread": False})
    else:
        _prepare_sqlite_file(path)
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front so busy_timeout applies instead of a
        # "database is locked" error when a read transaction later tries to write.
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    """An engine for the ledger URL; LedgerUnavailableError if the URL is unusable."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise LedgerUnavailableError(f"the ledger URL {url!r} is not a database URL") from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True,
                             connect_args=connect_args)
    except (OSError, ArgumentError, ImportError) as exc:
        raise LedgerUnavailableError(
            f"the ledger {safe_url(parsed)} cannot be opened: {exc}") from exc


def describe_db_error(url: URL | str, exc: DBAPIError) -> str:
    """One readable line for a database error, without the password or the SQL."""
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    line = " ".join(text.split()) or type(exc).__name__
    lowered = line.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return (f"the ledger {safe_url(url)} is not migrated ({line}); "
                "run `pvt ledger upgrade`")
    return f"the ledger {safe_url(url)} is unavailable: {line}"


class LedgerBase:
    """An engine and the read and write sessions every part of the ledger uses."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def safe_url(self) -> str:
        """The ledger URL with the password hidden."""
        return safe_url(self.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(**{_IMMEDIATE: True})
                with self._sessions(bind=conn) as session, session.begin():
                    yield session
        except (OperationalError, ProgrammingError) as exc:
            raise LedgerUnavailableError(describe_db_error(self.url, exc)) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise LedgerUnavailableError(describe_db_error(self.url, exc)) from exc
            raise

    def _read(self) -> AbstractContextManager[Session]:
        """A session in a read transaction."""
        return self._session(write=False)

    def _write(self) -> AbstractContextManager[Session]:
        """A session in a write transaction (SQLite: BEGIN IMMEDIATE), committed on exit."""
        return self._session(write=True)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()
