"""What retention and arrival SLAs read from the ledger: each file's stored outputs (and
whether a purge event has since removed them), runs still going, and a feed's arrivals."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from pvt_dagster.domain import Stage, as_stage
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.files import FILE_COLUMNS
from pvt_dagster.ledger.models import File, ManifestEvent, Message, ProcessRun
from pvt_dagster.ledger.records import FileRecord, MessageRecord, file_record, message_record

#: The manifest action of a deletion under retention.
PURGE_ACTION = "purge"
#: The manifest action of a delivery into a daily CSV (the one output retention purges).
DAILY_CSV_ACTION = "deliver:daily_csv"
FILE_STAGES: tuple[Stage, ...] = ("raw", "decrypted", "scrubbed")


@dataclass(frozen=True)
class OutputState:
    """One stored output of a file: the vault copy (``raw``), a work file (``decrypted``,
    ``scrubbed``) or a daily CSV it was delivered into (``delivered``); ``name`` as its event
    recorded it (None before 0003), when it was written, and when a purge removed it."""

    key: str
    stage: Stage
    name: str | None
    sha256: str | None
    written_at: datetime
    purged_at: datetime | None = None


class RetentionMixin(LedgerBase):
    """Queries for purges (``pvt purge``) and arrival SLAs."""

    def output_states(self, keys: Collection[str] | None = None) -> list[OutputState]:
        """Each file's latest output per stage (per daily CSV for deliveries), marked purged
        when a purge event of that output came after it."""
        wanted = [*FILE_STAGES, "delivered"]
        stmt = (select(File.key, ManifestEvent.stage, ManifestEvent.action,
                       ManifestEvent.input_name, ManifestEvent.output_name,
                       ManifestEvent.output_sha256, ManifestEvent.finished_at)
                .join(File, File.id == ManifestEvent.file_id)
                .where(ManifestEvent.outcome == "ok", ManifestEvent.stage.in_(wanted),
                       or_(ManifestEvent.action == PURGE_ACTION,
                           ManifestEvent.action == DAILY_CSV_ACTION,
                           ManifestEvent.output_sha256.is_not(None)))
                .order_by(ManifestEvent.file_id, ManifestEvent.seq)
                .execution_options(yield_per=1000))
        if keys is not None:
            stmt = stmt.where(File.key.in_(list(keys)))
        found: dict[tuple[str, str, str], OutputState] = {}
        with self._read() as session:
            for key, text, action, input_name, output_name, sha, at in session.execute(stmt):
                stage = as_stage(text)
                if stage == "delivered" and action not in (PURGE_ACTION, DAILY_CSV_ACTION):
                    continue
                name = input_name if action == PURGE_ACTION else output_name
                slot = (key, stage, (name or "") if stage == "delivered" else "")
                if action == PURGE_ACTION:
                    if slot in found:
                        old = found[slot]
                        found[slot] = OutputState(key, stage, old.name, old.sha256,
                                                  old.written_at, purged_at=at)
                else:
                    found[slot] = OutputState(key, stage, name, sha, at)
        return list(found.values())

    def running_file_keys(self) -> set[str]:
        """Keys of files with a process run still going."""
        stmt = select(ProcessRun.file_key).where(ProcessRun.status == "running",
                                                 ProcessRun.file_key.is_not(None))
        with self._read() as session:
            return {key for key in session.scalars(stmt) if key}

    def arrivals(self, client: str, feed: str, start: datetime, end: datetime
                 ) -> list[FileRecord]:
        """Files of a feed received into the vault in [start, end), earliest first (refused
        files do not count)."""
        stmt = (select(*FILE_COLUMNS)
                .where(File.client == client, File.feed == feed, File.status != "rejected",
                       File.received_at.is_not(None), File.received_at >= start,
                       File.received_at < end)
                .order_by(File.received_at, File.id))
        with self._read() as session:
            return [file_record(row) for row in session.execute(stmt)]

    def message_by_dedupe(self, dedupe_key: str) -> MessageRecord | None:
        """The message queued under ``dedupe_key``, or None."""
        with self._read() as session:
            row = session.scalar(select(Message).where(Message.dedupe_key == dedupe_key))
            return message_record(row) if row is not None else None
