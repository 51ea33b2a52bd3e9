"""Stage ``raw``: bring a ready file's bytes into the write-once vault, then clean up at the
source, in that order (invariant 1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pvt_dagster.config.models import AfterTransfer, TransferConfig
from pvt_dagster.errors import (
    FileRejectedError,
    PvtError,
    ServerIdentityError,
    SourceAuthError,
    SourceChangedError,
    SourceEntryGoneError,
    SourceError,
    TransportError,
    VaultConflictError,
    VaultIntegrityError,
)
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.recording import one_line, recorded_stage, utcnow
from pvt_dagster.polling.discovery import DISAPPEARED
from pvt_dagster.sources.base import RemoteEntry, Source
from pvt_dagster.transport import Received, after_transfer, receive, sha256_file

# Errors a retry cannot fix: the file changed (polling waits again), a write-once clash,
# credentials or a server identity that are refused.
FINAL = (SourceChangedError, VaultConflictError, SourceAuthError, ServerIdentityError)


@dataclass(frozen=True)
class RawResult:
    """What ``raw`` did for one file."""

    sha256: str
    bytes: int
    seconds: float
    throughput: float
    cleanup: str | None
    attempts: int = 1

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger (ingestion metrics included)."""
        return {"raw_sha256": self.sha256, "bytes": self.bytes, "seconds": round(self.seconds, 3),
                "throughput_bytes_per_s": round(self.throughput), "attempts": self.attempts,
                "source_cleanup": self.cleanup}


def run_raw(intake: Intake, key: str, *, run_id: str,
            sleep: Callable[[float], None] = time.sleep) -> RawResult:
    """Receive a file into the vault (idempotent: a received file is only re-verified),
    retrying with exponential backoff per the client's ``transfer`` settings."""
    ledger = intake.ledger
    record = ledger.get_file(key)
    vault = intake.layout.vault_path(key)
    if record.status == "rejected":
        raise FileRejectedError(f"{key} was rejected: {record.error}")
    if record.raw_sha256 and vault.exists():
        return _reverify(intake, record)
    feed = intake.feed_of(record)
    policy = feed.client_config.sources[record.source].after_transfer
    return _receive(intake, record, policy, feed.client_config.transfer, sleep,
                    allow_duplicates=feed.config.allow_duplicates, run_id=run_id)


def _receive(intake: Intake, record: FileRecord, policy: AfterTransfer, transfer: TransferConfig,
             sleep: Callable[[float], None], *, allow_duplicates: bool,
             run_id: str) -> RawResult:
    """Transfer (with retries), verify and record; then clean up at the source."""
    ledger, key = intake.ledger, record.key
    vault = intake.layout.vault_path(key)
    attempts: list[dict[str, object]] = []
    got: tuple[Source, RemoteEntry, Received] | None = None
    try:
        with recorded_stage(ledger, key, stage="raw", action="receive", run_id=run_id) as draft:
            draft.details = {"source_path": record.path, "attempts": attempts}
            got = _transfer(intake, record, transfer, sleep, attempts)
            source, entry, received = got
            draft.output_sha256, draft.bytes = received.sha256, received.bytes
            draft.details = metrics = {
                "bytes": received.bytes, "seconds": round(received.seconds, 3),
                "throughput_bytes_per_s": round(received.throughput),
                "attempts": len(attempts) + 1, "source_path": record.path}
            if attempts:
                metrics["failed_attempts"] = attempts
            reason = _duplicate(ledger, record, received, allow_duplicates)
            ledger.update_file(
                key, raw_sha256=received.sha256, bytes=received.bytes, received_at=utcnow(),
                vault_path=str(vault), metrics={**record.metrics, "raw": metrics},
                **({"status": "rejected", "error": reason}
                   if reason else {"status": "received", "stage": "raw", "error": None}),
            )
            if reason:
                raise FileRejectedError(f"{reason}; left at the source")
        cleanup = _clean_up(intake, key, source, entry, policy, run_id)
    except SourceChangedError:
        # Not a failure: polling waits for the file to settle again, and the new run key lets
        # the sensor request a fresh run (Dagster would skip a run key it has seen).
        ledger.update_file(key, status="discovered", error=None, run_seq=record.run_seq + 1)
        raise
    finally:
        if got is not None:
            got[0].close()
    return RawResult(received.sha256, received.bytes, received.seconds, received.throughput,
                     cleanup, len(attempts) + 1)


def _transfer(intake: Intake, record: FileRecord, transfer: TransferConfig,
              sleep: Callable[[float], None],
              attempts: list[dict[str, object]]) -> tuple[Source, RemoteEntry, Received]:
    """Up to ``retries + 1`` attempts, each on a fresh connection; a file gone at the source
    is rejected (left alone), errors that retrying cannot fix fail at once."""
    vault = intake.layout.vault_path(record.key)
    for attempt in range(1, transfer.retries + 2):
        if attempt > 1:
            sleep(transfer.delay(attempt))
        source = intake.source(record.client, record.source)
        try:
            entry = source.stat(record.path)
            if (entry.size, entry.mtime) != (record.size, record.mtime):
                raise SourceChangedError(
                    f"{record.name!r} changed at the source after it settled; "
                    "it will be picked up again when it settles")
            return source, entry, receive(source, entry, vault)
        except SourceEntryGoneError as exc:
            source.close()
            intake.ledger.update_file(record.key, status="rejected", error=DISAPPEARED)
            raise FileRejectedError(f"{DISAPPEARED}: {one_line(exc)}") from exc
        except (SourceError, TransportError) as exc:
            source.close()
            attempts.append({"attempt": attempt, "at": utcnow().isoformat(),
                             "error": one_line(exc)})
            if isinstance(exc, FINAL) or attempt > transfer.retries:
                if attempt == 1 or isinstance(exc, SourceChangedError):
                    raise
                raise TransportError(
                    f"gave up after {attempt} attempts: {one_line(exc)}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _duplicate(ledger: Ledger, record: FileRecord, received: Received,
               allow_duplicates: bool) -> str | None:
    """Why these bytes are not a new delivery: the same bytes as an earlier file of the feed
    (unless duplicates are allowed), or in any case the same file (source, name, size,
    sha256) ingested before, e.g. still at the source because its delete failed."""
    if not allow_duplicates:
        earlier = ledger.find_delivered_duplicate(record.client, record.feed, received.sha256,
                                                  exclude_key=record.key)
        return f"duplicate of {earlier.key}" if earlier else None
    for other in ledger.list_files(client=record.client, source=record.source):
        if (other.key != record.key and other.raw_sha256 == received.sha256
                and other.name == record.name and other.bytes == received.bytes
                and other.status not in ("discovered", "rejected")):
            return f"already ingested as {other.key} (same source, name, size and sha256)"
    return None


def _clean_up(intake: Intake, key: str, source: Source, entry: RemoteEntry, policy: AfterTransfer,
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
