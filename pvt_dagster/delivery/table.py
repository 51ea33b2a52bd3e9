"""The table target: a file's scrubbed rows in a per-client SQL table.

Rows are streamed in chunks, each in its own short transaction, into a temporary table of the
load's connection; one last transaction then deletes the file's earlier rows (by ``_pvt_key``)
and inserts the staged ones, so a rerun replaces them and never doubles them, readers never see
a half-loaded file, and no transaction spans the reading of the file (other writers of the same
database, the ledger's among them, wait at most for one chunk or the final swap). On
PostgreSQL an advisory lock per table and file key serialises concurrent loads of one file.
Isolation per client: on PostgreSQL a schema per client (created if missing), elsewhere a
``<client>__<table>`` prefix.
Every column is text, plus ``_pvt_key`` and ``_pvt_loaded_at``; columns a later file adds are
added to the table. Chunks go in with COPY on PostgreSQL with psycopg, else executemany, so
memory stays bounded."""

from __future__ import annotations

import csv
import hashlib
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.schema import CreateSchema

from pvt_dagster.delivery.scrubbed import data_rows, read_header
from pvt_dagster.errors import DeliveryError
from pvt_dagster.fsutil import ensure_private_dir
from pvt_dagster.masking import mask_pii

KEY_COLUMN, LOADED_COLUMN = "_pvt_key", "_pvt_loaded_at"
MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names
_STAGING = "pvt_staging"  # execution option: this transaction writes temporary tables only
_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class TableLoad:
    """The outcome of one table delivery."""

    table: str  # schema-qualified or prefixed name
    rows: int
    bytes: int
    seconds: float
    replaced: int  # rows of an earlier delivery of the same file that were replaced


def engine_for(url: str) -> Engine:
    """A pooled engine per URL (SQLite: busy timeout and write locks taken up front)."""
    with _LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _new_engine(url)
        return _ENGINES[url]


def _new_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            ensure_private_dir(Path(database).parent)
        engine = create_engine(parsed, hide_parameters=True, connect_args={"timeout": 30})
    except (ArgumentError, ImportError) as exc:
        raise DeliveryError(f"table target: unusable database URL ({type(exc).__name__})") from exc

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Staging writes only the connection's temporary tables: no lock on the database.
        staging = conn.get_execution_options().get(_STAGING, False)
        conn.exec_driver_sql("BEGIN" if staging else "BEGIN IMMEDIATE")

    return engine


def table_location(dialect: str, client: str, table: str,
                   schema: str | None) -> tuple[str | None, str]:
    """(schema, table name) of a client's table: its own schema on PostgreSQL, else a prefix."""
    if dialect == "postgresql":
        return schema or client, table
    return None, f"{client}__{table}"


def _header(src: Path) -> list[str]:
    header = read_header(src, reserved=(KEY_COLUMN, LOADED_COLUMN))
    for name in header:
        if not name or len(name.encode()) > MAX_IDENTIFIER:
            raise DeliveryError(f"{src.name}: column name {name[:20]!r}… is empty or longer "
                                f"than {MAX_IDENTIFIER} bytes")
    if len(set(header)) != len(header):
        raise DeliveryError(f"{src.name} has duplicate column names")
    return header


def _chunks(src: Path, width: int, file_key: str, loaded_at: datetime,
            size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in data_rows(src, width):
        chunk.append((*row, file_key, loaded_at))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepare(conn: Connection, schema: str | None, name: str, header: list[str]) -> Table:
    """The table, created (with its schema and key index) or widened as needed."""
    if schema is not None:
        conn.execute(CreateSchema(schema, if_not_exists=True))
    columns = [Column(c, Text) for c in header]
    table = Table(name, MetaData(), *columns, Column(KEY_COLUMN, Text, nullable=False),
                  Column(LOADED_COLUMN, DateTime(timezone=True), nullable=False),
                  Index(f"ix_{name}__pvt_key"[:MAX_IDENTIFIER], KEY_COLUMN), schema=schema)
    inspector = inspect(conn)
    if not inspector.has_table(name, schema=schema):
        table.create(conn, checkfirst=True)
        return table
    existing = {c["name"] for c in inspector.get_columns(name, schema=schema)}
    preparer = conn.dialect.identifier_preparer
    for column in header:
        if column not in existing:
            conn.execute(text(f"ALTER TABLE {preparer.format_table(table)} "
                              f"ADD COLUMN {preparer.quote(column)} TEXT"))
    return table


def _copy(conn: Connection, table: Table, names: list[str],
          rows: list[tuple[Any, ...]]) -> None:
    """Stream one chunk with PostgreSQL's COPY (psycopg 3), in the connection's transaction."""
    preparer = conn.dialect.identifier_preparer
    cols = ", ".join(preparer.quote(n) for n in names)
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {preparer.format_table(table)} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    except conn.dialect.loaded_dbapi.Error as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise DeliveryError(f"table {table.name}: COPY failed: "
                            f"{mask_pii(first)[:300]}") from exc


def _describe(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    first = (str(orig) if orig is not None else str(exc)).strip().splitlines()
    return mask_pii(f"{type(orig or exc).__name__}: {first[0] if first else ''}")[:300]


def deliver_table(src: Path, *, url: str, client: str, table: str, file_key: str,
                  loaded_at: datetime, schema: str | None = None,
                  chunk_rows: int = 5000) -> TableLoad:
    """Replace ``file_key``'s rows in the client's table by ``src``'s rows: streamed in chunks
    (one short transaction each) into a temporary table, then swapped in one transaction."""
    started = time.monotonic()
    header = _header(src)
    engine = engine_for(url)
    schema, name = table_location(engine.dialect.name, client, table, schema)
    names = [*header, KEY_COLUMN, LOADED_COLUMN]
    try:
        with engine.connect() as conn:
            with conn.begin():
                _lock(conn, f"table:{schema}.{name}")  # DDL of one table, one at a time
                target = _prepare(conn, schema, name, header)
            stage = _staging_table(target, header)
            conn.execution_options(**{_STAGING: True})
            with conn.begin():
                stage.create(conn)
            try:
                rows = _stream(conn, stage, names, src, file_key, loaded_at, chunk_rows)
                conn.execution_options(**{_STAGING: False})
                with conn.begin():
                    _lock(conn, f"rows:{schema}.{name}:{file_key}")
                    replaced = conn.execute(
                        target.delete().where(target.c[KEY_COLUMN] == file_key)).rowcount or 0
                    conn.execute(target.insert().from_select(
                        names, select(*(stage.c[n] for n in names))))
            finally:
                with conn.begin():
                    stage.drop(conn, checkfirst=True)
    except SQLAlchemyError as exc:
        raise DeliveryError(f"table {name}: {_describe(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise DeliveryError(f"{src.name}: data is not valid UTF-8 (byte {exc.start})") from exc
    except csv.Error as exc:
        raise DeliveryError(f"{src.name}: malformed CSV: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"cannot read {src.name}: {exc.strerror}") from exc
    qualified = f"{schema}.{name}" if schema else name
    return TableLoad(qualified, rows, src.stat().st_size, time.monotonic() - started, replaced)


def _staging_table(target: Table, header: list[str]) -> Table:
    """A temporary table (this connection only; gone if the process dies) for one load."""
    columns = [Column(c, Text) for c in header]
    return Table(f"pvt_stage_{uuid.uuid4().hex[:16]}", MetaData(), *columns,
                 Column(KEY_COLUMN, Text, nullable=False),
                 Column(LOADED_COLUMN, target.c[LOADED_COLUMN].type, nullable=False),
                 prefixes=["TEMPORARY"])


def _stream(conn: Connection, stage: Table, names: list[str], src: Path, file_key: str,
            loaded_at: datetime, chunk_rows: int) -> int:
    """Load ``src``'s rows into the staging table, one short transaction per chunk."""
    use_copy = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
    rows = 0
    for chunk in _chunks(src, len(names) - 2, file_key, loaded_at, chunk_rows):
        with conn.begin():
            if use_copy:
                _copy(conn, stage, names, chunk)
            else:
                conn.execute(stage.insert(), [dict(zip(names, r, strict=True)) for r in chunk])
        rows += len(chunk)
    return rows


def _lock(conn: Connection, what: str) -> None:
    """On PostgreSQL, a transaction-scoped advisory lock on ``what`` (SQLite: the write
    transaction itself is the lock)."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(what.encode()).digest()
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                     {"k": int.from_bytes(digest[:8], "big", signed=True)})
