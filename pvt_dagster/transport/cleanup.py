"""Clean-up at the source, after a file's bytes are safely in the vault (invariant 1), and
finished later when it could not be done then: a run killed between "received" and "deleted
at the source", or a server that refused the delete. Right before deleting or archiving, the
entry is stat'ed again: if it is not the entry that was read (size, mtime, inode or ETag),
a same-name re-upload is kept and recorded, never deleted unread. A delete that fails is a
``critical`` event: an immediate message, since a file left at the source is a data-security
threat; it is retried on later runs and discovery ticks until it succeeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pvt_dagster.config import AfterTransfer, Delete, Keep
from pvt_dagster.domain import Severity
from pvt_dagster.errors import PvtError, SourceEntryGoneError, SourceReplacedError, one_line
from pvt_dagster.ledger import FileRecord, Ledger, utcnow
from pvt_dagster.sources import RemoteEntry, Source
from pvt_dagster.transport.transfer import after_transfer

#: ``files.source_cleanup``: what is left to do at the source for a received file.
PENDING, DONE, KEPT, FAILED = "pending", "done", "kept", "failed"
UNFINISHED_CLEANUP = (PENDING, FAILED)


@dataclass(frozen=True)
class CleanupResult:
    """How a clean-up ended: ``done`` (with what was done), ``kept`` or ``failed``."""

    state: str
    detail: str


def received_entry(record: FileRecord, path: str) -> RemoteEntry:
    """The entry as it was read, from the ledger (to check it again before cleaning up)."""
    identity = record.source_identity
    return RemoteEntry(path=path, name=record.name, size=record.size, mtime=record.mtime,
                       identity=identity if identity and ":" in identity else None,
                       etag=identity if identity and ":" not in identity else None)


def _check_identity(source: Source, entry: RemoteEntry) -> None:
    """SourceReplacedError unless the entry at ``entry.path`` is still the one read."""
    now = source.stat(entry.path)
    if not entry.same_as(now):
        raise SourceReplacedError(
            f"{entry.path!r} at the source is not the file that was read (size "
            f"{entry.size} -> {now.size}, or its mtime, inode or ETag changed): kept there")


def clean_up(ledger: Ledger, key: str, source: Source, entry: RemoteEntry,
             policy: AfterTransfer, *, run_id: str) -> CleanupResult:
    """Apply ``after_transfer`` to a received file's entry and record it: an event on the
    file's chain and ``source_cleanup``; a replaced entry is kept (warning message), a failed
    clean-up is ``critical`` (an immediate message, once) and will be retried."""
    started = utcnow()
    action = f"after_transfer:{policy}"
    try:
        if not isinstance(policy, Keep):
            _check_identity(source, entry)
        done = after_transfer(source, entry, policy)
    except SourceEntryGoneError:
        done = f"{entry.path} is no longer at the source: nothing to clean up"
    except SourceReplacedError as exc:
        error = one_line(exc)
        ledger.append_event(key, stage="raw", action=action, started_at=started,
                            finished_at=utcnow(), outcome="error", error=error)
        ledger.update_file(key, source_cleanup=KEPT)
        _message(ledger, key, "source_replaced", "warning",
                 f"{key}: not cleaned up at the source: {error}; the new file there is "
                 "picked up as a new delivery", run_id)
        return CleanupResult(KEPT, error)
    except PvtError as exc:
        error = one_line(exc)
        ledger.append_event(key, stage="raw", action=action, started_at=started,
                            finished_at=utcnow(), outcome="error", error=error)
        ledger.update_file(key, source_cleanup=FAILED)
        verb = "deleting" if isinstance(policy, Delete) else f"applying {policy} to"
        _message(ledger, key, "source_cleanup_failed", "critical",
                 f"{key}: received, but {verb} it at the source failed: {error}; it stays "
                 "at the source until a retry succeeds", run_id)
        return CleanupResult(FAILED, error)
    ledger.append_event(key, stage="raw", action=action, started_at=started,
                        finished_at=utcnow(), outcome="ok", details={"result": done})
    ledger.update_file(key, source_cleanup=DONE)
    return CleanupResult(DONE, done)


def _message(ledger: Ledger, key: str, kind: str, severity: Severity, text: str,
             run_id: str) -> None:
    """Queue the clean-up's message (once per file and kind)."""
    record = ledger.get_file(key)
    ledger.record_message(dedupe_key=f"{key}:after_transfer:{kind}", client=record.client,
                          feed=record.feed, file_key=key, stage="raw", kind=kind,
                          severity=severity, text=text, details={"run_id": run_id})


def unfinished_cleanups(ledger: Ledger, client: str, source: str, *, now: datetime,
                        grace_seconds: float) -> list[FileRecord]:
    """Received files of a source whose clean-up is pending or failed, untouched for the
    grace period (so a run that is cleaning up right now is left alone)."""
    cutoff = now - timedelta(seconds=grace_seconds)
    return [r for r in ledger.list_files(client=client, source=source,
                                         source_cleanup=UNFINISHED_CLEANUP)
            if r.updated_at <= cutoff]
