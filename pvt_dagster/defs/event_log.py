"""Keep a run's SQLite event-log shards open while the run writes its events.

Dagster's ``SqliteEventLogStorage`` (the embedded default) opens a new engine and connection
for every event and closes it afterwards. When that was the only connection to the shard,
SQLite checkpoints the write-ahead log into the database and deletes it at each close, and the
next open recreates it: about a third of every event's cost on this machine, and most of a
batch run's time goes to its events. One idle connection held to the run's shard and to the
index for the run's duration leaves the log in place between events (SQLite still checkpoints
it every 1,000 pages, and once more when the run ends). Other event-log storages (PostgreSQL)
are left alone."""

from __future__ import annotations

import contextlib
import os
import sqlite3

import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)


class HeldEventLog:
    """Idle connections to a run's SQLite event-log shards, until ``close``."""

    def __init__(self, instance: dg.DagsterInstance | None, run_id: str | None) -> None:
        self._held: list[sqlite3.Connection] = []
        storage = instance.event_log_storage if instance is not None else None
        if run_id is None or not isinstance(storage, SqliteEventLogStorage):
            return
        for shard in (run_id, INDEX_SHARD_NAME):
            path = storage.path_for_shard(shard)
            if not os.path.exists(path):
                continue
            with contextlib.suppress(sqlite3.Error):
                connection = sqlite3.connect(path, check_same_thread=False)
                connection.execute("PRAGMA schema_version").fetchone()  # opens the file and WAL
                self._held.append(connection)

    @property
    def shards(self) -> int:
        """How many shards are held open."""
        return len(self._held)

    def close(self) -> None:
        """Close the held connections (the last one checkpoints the log)."""
        for connection in self._held:
            with contextlib.suppress(sqlite3.Error):
                connection.close()
        self._held.clear()
