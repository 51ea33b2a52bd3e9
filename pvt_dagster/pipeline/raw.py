"""Stage ``raw``: bring a ready file's bytes into the write-once vault, then clean up at the
source, in that order (invariant 1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from pvt_dagster.config import AfterTransfer, TransferConfig
from pvt_dagster.errors import (
    ServerIdentityError,
    SizeLimitError,
    SourceAuthError,
    SourceChangedError,
    SourceEntryGoneError,
    SourceError,
    TransportError,
    VaultConflictError,
    VaultIntegrityError,
    one_line,
)
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.outcomes import Refused, Waiting
from pvt_dagster.pipeline.recording import EventDraft, recorded_stage, utcnow
from pvt_dagster.pipeline.stage_guard import refuse_purged
from pvt_dagster.polling import DISAPPEARED
from pvt_dagster.sources import RemoteEntry, Source
from pvt_dagster.transport import (
    UNFINISHED_CLEANUP,
    Received,
    clean_up,
    receive,
    received_entry,
)

# Errors a retry cannot fix: the file changed (polling waits again), a write-once clash,
# credentials or a server identity that are refused, a source sending more than it may.
FINAL = (SourceChangedError, VaultConflictError, SourceAuthError, ServerIdentityError,
         SizeLimitError)


@dataclass(frozen=True)
class TransferAttempt:
    """A failed transfer attempt, told to the caller as it happens (the UI shows each)."""

    attempt: int
    of: int
    error: str
    retry_in: float | None  # seconds until the next attempt; None when this was the last


#: Told about each failed attempt of a transfer.
AttemptCallback = Callable[[TransferAttempt], None]


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
            sleep: Callable[[float], None] = time.sleep,
            on_attempt: AttemptCallback | None = None) -> RawResult | Refused | Waiting:
    """Receive a file into the vault (idempotent: a received file is only re-verified),
    retrying with exponential backoff per the client's ``transfer`` settings. A refused file
    (duplicate, gone from the source) and a file that changed after it settled are values,
    not errors: the first stays at its source, the second waits to settle again."""
    ledger = intake.ledger
    record = ledger.get_file(key)
    vault = intake.layout.vault_path(key)
    if record.status == "rejected":
        return Refused(f"{key} was rejected: {record.error}")
    if record.raw_sha256 and intake.store.present(vault):
        return _reverify(intake, record, run_id)
    if record.raw_sha256:
        refuse_purged(intake, key)  # its bytes are gone on purpose: never fetched again
    feed = intake.feed_of(record)
    policy = intake.source_config_of(record).after_transfer
    return _receive(intake, record, policy, feed.client_config.transfer, sleep, on_attempt,
                    allow_duplicates=feed.config.allow_duplicates, run_id=run_id,
                    max_bytes=feed.constraints.max_bytes)


def _receive(intake: Intake, record: FileRecord, policy: AfterTransfer, transfer: TransferConfig,
             sleep: Callable[[float], None], on_attempt: AttemptCallback | None, *,
             allow_duplicates: bool, run_id: str,
             max_bytes: int | None = None) -> RawResult | Refused | Waiting:
    """Transfer (with retries), verify and record; then clean up at the source."""
    ledger, key = intake.ledger, record.key
    vault = intake.layout.vault_path(key)
    attempts: list[dict[str, object]] = []
    with ExitStack() as open_source:
        with recorded_stage(ledger, key, stage="raw", action="receive", run_id=run_id) as draft:
            draft.details = {"source_path": record.path, "attempts": attempts}
            got = _transfer(intake, record, transfer, sleep, attempts, on_attempt, max_bytes)
            if isinstance(got, Refused | Waiting):
                return _not_received(intake, record, draft, got)
            source, entry, received = got
            open_source.callback(source.close)
            intake.store.publish(vault, sha256=received.sha256, write_once=True)
            draft.output_sha256, draft.bytes = received.sha256, received.bytes
            draft.details = metrics = {
                "bytes": received.bytes, "seconds": round(received.seconds, 3),
                "throughput_bytes_per_s": round(received.throughput),
                "attempts": len(attempts) + 1, "source_path": record.path}
            if attempts:
                metrics["failed_attempts"] = attempts
            reason = _duplicate(ledger, record, received, allow_duplicates)
            ledger.merge_file_metrics(
                key, {"raw": metrics}, raw_sha256=received.sha256, bytes=received.bytes,
                received_at=utcnow(), vault_path=intake.store.where(vault),
                source_identity=entry.fingerprint,
                **({"status": "rejected", "error": reason}
                   if reason else {"status": "received", "stage": "raw", "error": None,
                                   "source_cleanup": "pending"}),
            )
            if reason:
                return draft.end_without_output(Refused(f"{reason}; left at the source"))
        cleanup = clean_up(ledger, key, source, entry, policy, run_id=run_id).detail
    return RawResult(received.sha256, received.bytes, received.seconds, received.throughput,
                     cleanup, len(attempts) + 1)


def _not_received(intake: Intake, record: FileRecord, draft: EventDraft,
                  outcome: Refused | Waiting) -> Refused | Waiting:
    """Record a file that was not received: gone from its source (rejected, left alone) or
    changed after it settled (waits again, under a fresh run key: Dagster would skip a run
    key it has seen)."""
    if isinstance(outcome, Refused):
        intake.ledger.update_file(record.key, status="rejected", error=DISAPPEARED)
    else:
        intake.ledger.update_file(record.key, status="discovered", error=None,
                                  run_seq=record.run_seq + 1)
    return draft.end_without_output(outcome)


def _transfer(intake: Intake, record: FileRecord, transfer: TransferConfig,
              sleep: Callable[[float], None], attempts: list[dict[str, object]],
              on_attempt: AttemptCallback | None, max_bytes: int | None = None,
              ) -> tuple[Source, RemoteEntry, Received] | Refused | Waiting:
    """Up to ``retries + 1`` attempts, each on a fresh connection. A file gone at the source
    is refused (left alone) and a changed one waits; errors that retrying cannot fix fail at
    once, the others after the last attempt."""
    vault = intake.layout.vault_path(record.key)
    total = transfer.retries + 1
    for attempt in range(1, total + 1):
        if attempt > 1:
            sleep(transfer.delay(attempt))
        source, path = intake.source_of(record)
        try:
            entry = source.stat(path)
            if (entry.size, entry.mtime) != (record.size, record.mtime):
                source.close()
                return Waiting(f"{record.name!r} changed at the source after it settled; "
                               "it will be picked up again when it settles")
            return source, entry, receive(source, entry, vault, max_bytes=max_bytes)
        except SourceEntryGoneError as exc:
            source.close()
            return Refused(f"{DISAPPEARED}: {one_line(exc)}")
        except SourceChangedError as exc:
            source.close()
            return Waiting(one_line(exc))
        except (SourceError, TransportError) as exc:
            source.close()
            error = one_line(exc)
            attempts.append({"attempt": attempt, "at": utcnow().isoformat(), "error": error})
            last = isinstance(exc, FINAL) or attempt == total
            if on_attempt is not None:
                on_attempt(TransferAttempt(attempt, total, error,
                                           None if last else transfer.delay(attempt + 1)))
            if last:
                if attempt == 1:
                    raise
                raise TransportError(f"gave up after {attempt} attempts: {error}") from exc
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


def _reverify(intake: Intake, record: FileRecord, run_id: str) -> RawResult:
    """A rerun of ``raw`` for a received file: check the vault still holds the same bytes,
    and finish its clean-up at the source if an earlier run could not (it was killed, or the
    server refused)."""
    vault = intake.layout.vault_path(record.key)
    digest = intake.store.sha256(vault)
    if digest is None or digest != record.raw_sha256:
        raise VaultIntegrityError(
            f"vault copy of {record.key} no longer matches its recorded sha256")
    cleanup = None
    if record.source_cleanup in UNFINISHED_CLEANUP:
        source, path = intake.source_of(record)
        try:
            cleanup = clean_up(intake.ledger, record.key, source, received_entry(record, path),
                               intake.source_config_of(record).after_transfer,
                               run_id=run_id).detail
        finally:
            source.close()
    return RawResult(digest, record.bytes or 0, 0.0, 0.0, cleanup)
