"""Replay and recovery: rebuild a file's downstream outputs from the vault's raw bytes (the
same stage code the assets run, so outputs are byte-identical and delivery replaces rows), and
``ingest`` for a file handed over by other means. Both are operator actions in the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config.models import FeedRef, Keep, LocalSource
from pvt_dagster.domain import STAGES
from pvt_dagster.errors import (
    FileRejectedError,
    StageOrderError,
    UsageError,
    VaultIntegrityError,
)
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.recording import recorded_stage, utcnow
from pvt_dagster.pipeline.sequence import StageCallback, run_stages
from pvt_dagster.polling.constraints import constraint_violation
from pvt_dagster.sources.base import RemoteEntry
from pvt_dagster.sources.local import LocalFolderSource
from pvt_dagster.transport import Received, receive, sha256_file

INGEST_SOURCE = "_ingest"  # not an identifier, so no configured source can have this name


@dataclass(frozen=True)
class ReplayResult:
    """How a replay or ingest ended: the file, its run id and final status."""

    key: str
    run_id: str
    status: str


def replay_file(intake: Intake, key: str, *, from_stage: str = "decrypted", user: str,
                on_stage: StageCallback | None = None) -> ReplayResult:
    """Re-run ``from_stage`` and every later stage of ``key`` from the verified vault copy,
    under a fresh run key, recording the operator action."""
    if from_stage not in STAGES:
        raise UsageError(f"unknown stage {from_stage!r} (one of {', '.join(STAGES)})")
    ledger = intake.ledger
    record = ledger.get_file(key)
    if record.status == "rejected":
        raise FileRejectedError(f"{key} was rejected ({record.error}); there is nothing to "
                                "replay")
    if not record.raw_sha256:
        raise StageOrderError(f"{key} was never received into the vault; nothing to replay")
    vault = intake.layout.vault_path(key)
    if not vault.is_file():
        raise VaultIntegrityError(f"the vault copy of {key} is missing")
    if sha256_file(vault) != record.raw_sha256:
        raise VaultIntegrityError(f"the vault copy of {key} no longer matches its recorded "
                                  "sha256; refusing to replay")
    needed, _ = intake.layout.stage_io(from_stage, key)
    if needed is not None and not needed.is_file():
        raise StageOrderError(f"{intake.layout.relative(needed)} is missing: replay {key} "
                              "from an earlier stage")
    before = STAGES[STAGES.index(from_stage) - 1] if from_stage != "raw" else None
    done = STAGES.index(record.stage) if record.stage else -1
    if before is not None and done < STAGES.index(before):
        raise StageOrderError(f"{key} has not completed {before}; replay it from "
                              f"{STAGES[done + 1]}")
    run_seq = record.run_seq + 1
    ledger.update_file(key, run_seq=run_seq)
    run_id = f"replay-{run_seq}-{utcnow():%Y%m%dT%H%M%S%fZ}"
    ledger.record_operator_action(action="replay", target=key, user=user,
                                  details={"from": from_stage, "run_seq": run_seq,
                                           "run_id": run_id})
    status = run_stages(intake, key, run_id=run_id, from_stage=from_stage, on_stage=on_stage)
    return ReplayResult(key, run_id, status)


def ingest_file(intake: Intake, feed: FeedRef, path: Path, *, user: str,
                on_stage: StageCallback | None = None) -> ReplayResult:
    """Take a file handed over by other means into ``feed``: a ledger row, the vault (through
    transport, verified; the file itself is left alone), then every stage."""
    path = Path(path).absolute()
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"{path} is not a regular file")
    source = LocalFolderSource(INGEST_SOURCE, LocalSource(kind="local", path=str(path.parent),
                                                          after_transfer=Keep()))
    entry = source.stat(path.name)
    ledger = intake.ledger
    record = ledger.create_file(client=feed.client, feed=feed.name, source=INGEST_SOURCE,
                                name=path.name, path=str(path), size=entry.size,
                                mtime=entry.mtime, first_seen=utcnow())
    key = record.key
    run_id = f"ingest-{utcnow():%Y%m%dT%H%M%S%fZ}"
    ledger.record_operator_action(action="ingest", target=key, user=user,
                                  details={"path": str(path), "feed": feed.qualified_name,
                                           "run_id": run_id})
    try:
        received = _receive(intake, feed, key, source, entry, run_id=run_id, user=user)
    except FileRejectedError:
        return ReplayResult(key, run_id, "rejected")  # recorded, with its reason
    if on_stage is not None:
        on_stage("raw", "ok", received.seconds, None)
    status = run_stages(intake, key, run_id=run_id, from_stage="decrypted", on_stage=on_stage)
    return ReplayResult(key, run_id, status)


def _receive(intake: Intake, feed: FeedRef, key: str, source: LocalFolderSource,
             entry: RemoteEntry, *, run_id: str, user: str) -> Received:
    """The ``raw`` stage of an ingest: constraints, vault (verified), duplicate check."""
    ledger = intake.ledger
    violation = constraint_violation(entry.size, entry.name, feed.constraints)
    with recorded_stage(ledger, key, stage="raw", action="ingest", run_id=run_id) as draft:
        if violation:
            ledger.update_file(key, status="rejected", error=violation)
            raise FileRejectedError(f"{entry.name}: {violation}")
        received = receive(source, entry, intake.layout.vault_path(key))
        draft.output_sha256, draft.bytes = received.sha256, received.bytes
        draft.details = {"seconds": round(received.seconds, 3), "ingested_by": user}
        duplicate = None if feed.config.allow_duplicates else ledger.find_delivered_duplicate(
            feed.client, feed.name, received.sha256, exclude_key=key)
        ledger.update_file(
            key, raw_sha256=received.sha256, bytes=received.bytes, received_at=utcnow(),
            vault_path=str(intake.layout.vault_path(key)), metrics={"raw": draft.details},
            **({"status": "rejected", "error": f"duplicate of {duplicate.key}"}
               if duplicate else {"status": "received", "stage": "raw", "error": None}))
        if duplicate:
            raise FileRejectedError(f"same bytes as {duplicate.key}")
    return received
