"""Stage ``raw``: bring a ready file's bytes into the write-once vault, then clean up at the
source, in that order (invariant 1)."""

from __future__ import annotations

from dataclasses import dataclass

from pvt_dagster.errors import (
    FileRejectedError,
    PvtError,
    SourceChangedError,
    VaultIntegrityError,
)
from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.recording import one_line, recorded_stage, utcnow
from pvt_dagster.sources.base import RemoteEntry, Source
from pvt_dagster.transport import after_transfer, receive, sha256_file


@dataclass(frozen=True)
class RawResult:
    """What ``raw`` did for one file."""

    sha256: str
    bytes: int
    seconds: float
    throughput: float
    cleanup: str | None

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        return {"raw_sha256": self.sha256, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "throughput_bytes_per_s": round(self.throughput), "source_cleanup": self.cleanup}


def run_raw(intake: Intake, key: str, *, run_id: str) -> RawResult:
    """Receive a file into the vault (idempotent: a received file is only re-verified)."""
    ledger = intake.ledger
    record = ledger.get_file(key)
    vault = intake.layout.vault_path(key)
    if record.status == "rejected":
        raise FileRejectedError(f"{key} was rejected: {record.error}")
    if record.raw_sha256 and vault.exists():
        return _reverify(intake, record)
    feed = intake.feed_of(record)
    source_config = feed.client_config.sources[record.source]
    source = intake.source(record.client, record.source)
    try:
        return _receive(intake, record, source, source_config.after_transfer,
                        allow_duplicates=feed.config.allow_duplicates, run_id=run_id)
    finally:
        source.close()


def _receive(intake: Intake, record: FileRecord, source: Source, policy: str, *,
             allow_duplicates: bool, run_id: str) -> RawResult:
    """Transfer, verify and record; then clean up at the source."""
    ledger, key = intake.ledger, record.key
    vault = intake.layout.vault_path(key)
    try:
        with recorded_stage(ledger, key, stage="raw", action="receive", run_id=run_id) as draft:
            entry = source.stat(record.path)
            if (entry.size, entry.mtime) != (record.size, record.mtime):
                raise SourceChangedError(
                    f"{record.name!r} changed at the source after it settled; "
                    "it will be picked up again when it settles")
            received = receive(source, entry, vault)
            draft.output_sha256, draft.bytes = received.sha256, received.bytes
            draft.details = {"seconds": round(received.seconds, 3),
                             "throughput_bytes_per_s": round(received.throughput),
                             "source_path": record.path}
            duplicate = None
            if not allow_duplicates:
                duplicate = ledger.find_delivered_duplicate(
                    record.client, record.feed, received.sha256, exclude_key=key)
            ledger.update_file(
                key, raw_sha256=received.sha256, bytes=received.bytes, received_at=utcnow(),
                vault_path=str(vault), metrics={"raw": draft.details},
                **({"status": "rejected", "error": f"duplicate of {duplicate.key}"}
                   if duplicate else {"status": "received", "stage": "raw", "error": None}),
            )
            if duplicate:
                raise FileRejectedError(f"same bytes as {duplicate.key}; left at the source")
    except SourceChangedError:
        # Not a failure: polling waits for the file to settle again, and the new run key lets
        # the sensor request a fresh run (Dagster would skip a run key it has seen).
        ledger.update_file(key, status="discovered", error=None, run_seq=record.run_seq + 1)
        raise
    cleanup = _clean_up(intake, key, source, entry, policy, run_id)
    return RawResult(received.sha256, received.bytes, received.seconds, received.throughput,
                     cleanup)


def _clean_up(intake: Intake, key: str, source: Source, entry: RemoteEntry, policy: str,
              run_id: str) -> str | None:
    """Apply ``after_transfer``; a failure is recorded and reported, never fatal to the file."""
    started = utcnow()
    try:
        done = after_transfer(source, entry, policy)
    except PvtError as exc:
        error = one_line(exc)
        intake.ledger.append_event(key, stage="raw", action=f"after_transfer:{policy}",
                                   started_at=started, finished_at=utcnow(), outcome="error",
                                   error=error)
        record = intake.ledger.get_file(key)
        intake.ledger.record_message(
            dedupe_key=f"{key}:after_transfer:error", client=record.client, feed=record.feed,
            file_key=key, stage="raw", kind="source_cleanup_failed", severity="warning",
            text=f"{key}: received, but {policy} at the source failed: {error}",
            details={"run_id": run_id})
        return None
    intake.ledger.append_event(key, stage="raw", action=f"after_transfer:{policy}",
                               started_at=started, finished_at=utcnow(), outcome="ok",
                               details={"result": done})
    return done


def _reverify(intake: Intake, record: FileRecord) -> RawResult:
    """A rerun of ``raw`` for a received file: check the vault still holds the same bytes."""
    vault = intake.layout.vault_path(record.key)
    digest = sha256_file(vault)
    if digest != record.raw_sha256:
        raise VaultIntegrityError(
            f"vault copy of {record.key} no longer matches its recorded sha256")
    return RawResult(digest, vault.stat().st_size, 0.0, 0.0, None)
