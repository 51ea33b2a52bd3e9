"""Replay and ingest, as operator actions: checking that a file can be replayed from a stage
(or taken in from a path), recording the action and giving the file a fresh run key. Running
the stages is Dagster's job (``pvt_dagster.defs.launch``), so every replay and ingest is a run
in the instance, with its checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config import FeedRef
from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.errors import (
    FeedOnHoldError,
    StageOrderError,
    UsageError,
    VaultIntegrityError,
)
from pvt_dagster.pipeline.intake import INGEST_SOURCE, Intake, handed_over
from pvt_dagster.pipeline.recording import utcnow
from pvt_dagster.pipeline.stage_guard import refuse_purged
from pvt_dagster.polling import constraint_violation
from pvt_dagster.tracking import active_hold

__all__ = ["INGEST_SOURCE", "FileToRun", "check_hold", "prepare_ingest", "prepare_replay"]


@dataclass(frozen=True)
class FileToRun:
    """A file an operator asked to run: its key, feed, the first stage to run, whether the
    run is forced past a hold, and why it will not run at all (``refused``: recorded, e.g. a
    handed-over file over its limit)."""

    key: str
    feed: FeedRef
    from_stage: Stage
    refused: str | None = None
    forced: bool = False


def check_hold(intake: Intake, feed: FeedRef, *, force: bool, user: str, target: str) -> bool:
    """Refuse (FeedOnHoldError) to run a file of a feed on hold unless ``force``; a forced
    run is recorded as an operator action. Whether the run is forced past a hold."""
    hold = active_hold(intake.ledger, feed.client, feed.name)
    if hold is None:
        return False
    if not force:
        raise FeedOnHoldError(
            f"feed {feed.qualified_name} is on hold since {hold.placed_at:%Y-%m-%d %H:%M}Z "
            f"({hold.reason}); release it with `pvt holds release {feed.qualified_name}`, or "
            "run anyway with --force")
    intake.ledger.record_operator_action(action="force", target=target, user=user,
                                        details={"hold": hold.id, "feed": feed.qualified_name})
    return True


def prepare_replay(intake: Intake, key: str, *, from_stage: Stage = "decrypted", user: str,
                   force: bool = False) -> FileToRun:
    """Check that ``key`` can run again from ``from_stage`` (its input is there and verified,
    its feed not on hold unless ``force``), record the operator action and give the file a
    fresh run key."""
    if from_stage not in STAGES:
        raise UsageError(f"unknown stage {from_stage!r} (one of {', '.join(STAGES)})")
    ledger = intake.ledger
    record = ledger.get_file(key)
    feed = intake.feed_of(record)
    if record.status == "rejected":
        raise UsageError(f"{key} was rejected ({record.error}); there is nothing to replay")
    refuse_purged(intake, key)
    forced = check_hold(intake, feed, force=force, user=user, target=key)
    if from_stage != "raw":
        if not record.raw_sha256:
            raise StageOrderError(f"{key} was never received into the vault; replay it "
                                  "from raw to transfer it again")
        digest = intake.store.sha256(intake.layout.vault_path(key))
        if digest is None:
            raise VaultIntegrityError(f"the vault copy of {key} is missing")
        if digest != record.raw_sha256:
            raise VaultIntegrityError(f"the vault copy of {key} no longer matches its "
                                      "recorded sha256; refusing to replay")
        needed, _ = intake.layout.stage_io(from_stage, key)
        # A removed plaintext is decrypted again from the (verified) vault copy when read.
        remade = needed == intake.layout.decrypted_path(key) and record.decrypted_sha256
        if needed is not None and not remade and not intake.store.present(needed):
            raise StageOrderError(f"{intake.layout.relative(needed)} is missing: replay {key} "
                                  "from an earlier stage")
        before = STAGES[STAGES.index(from_stage) - 1]
        done = STAGES.index(record.stage) if record.stage else -1
        if done < STAGES.index(before):
            raise StageOrderError(f"{key} has not completed {before}; replay it from "
                                  f"{STAGES[done + 1]}")
    run_seq = record.run_seq + 1
    ledger.update_file(key, run_seq=run_seq)
    ledger.record_operator_action(action="replay", target=key, user=user,
                                  details={"from": from_stage, "run_seq": run_seq})
    return FileToRun(key, feed, from_stage, forced=forced)


def prepare_ingest(intake: Intake, feed: FeedRef, path: Path, *, user: str,
                   force: bool = False) -> FileToRun:
    """Take a file handed over by other means into ``feed``: a ledger row whose source is the
    file's own folder (the file is left alone there), checked against the feed's
    constraints. Its stages then run from ``raw``, as for any file."""
    path = Path(path).absolute()
    if path.is_symlink() or not path.is_file():
        raise UsageError(f"{path} is not a regular file")
    forced = check_hold(intake, feed, force=force, user=user, target=str(path))
    source, name = handed_over(path)
    try:
        entry = source.stat(name)
    finally:
        source.close()
    ledger = intake.ledger
    record = ledger.create_file(client=feed.client, feed=feed.name, source=INGEST_SOURCE,
                                name=path.name, path=str(path), size=entry.size,
                                mtime=entry.mtime, first_seen=utcnow())
    ledger.record_operator_action(action="ingest", target=record.key, user=user,
                                  details={"path": str(path), "feed": feed.qualified_name})
    violation = constraint_violation(entry.size, entry.name, feed.constraints)
    if violation:
        now = utcnow()
        ledger.append_event(record.key, stage="raw", action="ingest", started_at=now,
                            finished_at=now, outcome="error", error=violation,
                            input_name=f"{INGEST_SOURCE}:{path}")
        ledger.update_file(record.key, status="rejected", error=violation)
        return FileToRun(record.key, feed, "raw", refused=violation)
    return FileToRun(record.key, feed, "raw", forced=forced)
