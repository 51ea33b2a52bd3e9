"""Manifest events: appending to a file's hash chain and verifying every chain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import select

from pvt_dagster.domain import Stage, as_stage
from pvt_dagster.ledger.chain import (
    GENESIS,
    HASH_VERSION,
    ChainEvent,
    event_hash,
    json_safe,
    verify_chain,
)
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.files import file_row
from pvt_dagster.ledger.models import File, ManifestEvent
from pvt_dagster.ledger.records import ChainProblem, EventRecord, event_record, one_line
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow

OUTCOMES = frozenset({"ok", "error"})


@dataclass(frozen=True)
class OutputRecord:
    """What a stage last wrote for a file: its name (None in events before 0003) and sha256."""

    stage: Stage
    name: str | None
    sha256: str


def _chain_event(row: ManifestEvent) -> ChainEvent:
    return ChainEvent(
        seq=row.seq, stage=row.stage, action=row.action, input_sha256=row.input_sha256,
        output_sha256=row.output_sha256, bytes=row.bytes, rows=row.rows,
        started_at=row.started_at, finished_at=row.finished_at, outcome=row.outcome,
        error=row.error, details=row.details, prev_hash=row.prev_hash, hash=row.hash,
        input_name=row.input_name, output_name=row.output_name,
        hash_version=row.hash_version or 1,
    )


class EventsMixin(LedgerBase):
    """The append-only manifest chain of each file."""

    def append_event(
        self, key: str, *, stage: Stage, action: str, input_sha256: str | None = None,
        output_sha256: str | None = None, bytes: int | None = None, rows: int | None = None,
        started_at: datetime, finished_at: datetime, outcome: str = "ok",
        error: str | None = None, details: dict[str, Any] | None = None,
        input_name: str | None = None, output_name: str | None = None,
    ) -> EventRecord:
        """Append an event to the file's chain; its head and count move in the same transaction.
        ``input_name``/``output_name`` say what the stage read and wrote (hashed too)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome is 'ok' or 'error', not {outcome!r}")
        as_stage(stage)  # checked here too: callers outside mypy's reach may pass anything
        fields: dict[str, Any] = {
            "key": key, "stage": stage, "action": action, "input_sha256": input_sha256,
            "output_sha256": output_sha256, "bytes": bytes, "rows": rows,
            "started_at": ensure_utc(started_at), "finished_at": ensure_utc(finished_at),
            "outcome": outcome, "error": one_line(error), "details": json_safe(details or {}),
            "input_name": input_name, "output_name": output_name,
            "hash_version": HASH_VERSION,
        }
        with self._write() as session:
            row = file_row(session, key, for_update=True)
            fields["seq"] = row.event_count + 1
            fields["prev_hash"] = row.chain_head or GENESIS
            digest = event_hash(fields)
            event = ManifestEvent(
                file_id=row.id, hash=digest, **{k: v for k, v in fields.items() if k != "key"}
            )
            session.add(event)
            row.chain_head = digest
            row.event_count = fields["seq"]
            row.updated_at = utcnow()
            session.flush()
            return event_record(event, key)

    def events(self, key: str) -> list[EventRecord]:
        """The file's manifest chain in order; UnknownFileError if there is no such file."""
        with self._read() as session:
            row = file_row(session, key)
            stmt = (select(ManifestEvent).where(ManifestEvent.file_id == row.id)
                    .order_by(ManifestEvent.seq, ManifestEvent.id))
            return [event_record(e, key) for e in session.scalars(stmt)]

    def verify_chains(self, keys: Iterable[str] | None = None) -> list[ChainProblem]:
        """Re-hash every chain (or those of ``keys``): hashes, seq, links, head and count."""
        problems: list[ChainProblem] = []
        file_stmt = select(File.id, File.key, File.chain_head, File.event_count)
        wanted = None if keys is None else set(keys)
        with self._read() as session:
            files = {
                r.id: (r.key, r.chain_head, r.event_count)
                for r in session.execute(file_stmt)
                if wanted is None or r.key in wanted
            }
            if wanted is not None:
                missing = wanted - {k for k, _, _ in files.values()}
                problems += [ChainProblem(k, None, "no such file") for k in sorted(missing)]
            event_stmt = (select(ManifestEvent)
                          .order_by(ManifestEvent.file_id, ManifestEvent.seq, ManifestEvent.id)
                          .execution_options(yield_per=1000))
            if wanted is not None and len(files) <= 500:
                event_stmt = event_stmt.where(ManifestEvent.file_id.in_(list(files)))
            seen: set[int] = set()
            for file_id, group in groupby(session.scalars(event_stmt), key=lambda e: e.file_id):
                if file_id not in files:
                    continue
                seen.add(file_id)
                key, head, count = files[file_id]
                problems += verify_chain(key, head, count, (_chain_event(e) for e in group))
            for file_id, (key, head, count) in files.items():
                if file_id not in seen:
                    problems += verify_chain(key, head, count, [])
        return problems

    def latest_outputs(self, stages: Iterable[Stage] = ("raw", "decrypted", "scrubbed"),
                       ) -> dict[str, dict[Stage, OutputRecord]]:
        """Per file key and stage, the latest successful event's output (name and sha256)."""
        wanted = list(stages)
        stmt = (select(File.key, ManifestEvent.stage, ManifestEvent.output_name,
                       ManifestEvent.output_sha256)
                .join(File, File.id == ManifestEvent.file_id)
                .where(ManifestEvent.outcome == "ok", ManifestEvent.stage.in_(wanted),
                       ManifestEvent.output_sha256.is_not(None))
                .order_by(ManifestEvent.file_id, ManifestEvent.seq)
                .execution_options(yield_per=1000))
        found: dict[str, dict[Stage, OutputRecord]] = {}
        with self._read() as session:
            for key, text, name, sha in session.execute(stmt):
                stage = as_stage(text)
                found.setdefault(key, {})[stage] = OutputRecord(stage, name, sha or "")
        return found
