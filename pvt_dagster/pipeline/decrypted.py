"""Stage ``decrypted``: the vault's raw bytes, decrypted with the key the feed chooses for the
file's name (or copied, for a plain feed) into the work folder, streamed and never held in
memory; signature and decompression limits enforced on the way."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config import DecryptConfig, FeedRef
from pvt_dagster.decrypt import Decrypted, copy_for_plain_feed, decrypt_for_feed
from pvt_dagster.errors import VaultIntegrityError
from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import EventDraft, recorded_stage
from pvt_dagster.pipeline.stage_guard import refuse_purged, require_stage


@dataclass(frozen=True)
class DecryptedResult:
    """What ``decrypted`` produced."""

    sha256: str
    bytes: int
    seconds: float
    key: str | None = None  # the key's fingerprint (None for a plain copy)
    signer: str | None = None

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        data: dict[str, object] = {"sha256": self.sha256, "bytes": self.bytes,
                                   "seconds": round(self.seconds, 3)}
        if self.key:
            data["key"] = self.key
        if self.signer:
            data["signer"] = self.signer
        return data


def run_decrypted(intake: Intake, key: str, *, run_id: str) -> DecryptedResult:
    """Decrypt (or copy) the vault copy of ``key``; byte-identical on every rerun."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "raw")
    feed = intake.feed_of(record)
    decrypt = feed.config.decrypt
    src = intake.store.get(intake.layout.vault_path(key))
    dst = intake.layout.decrypted_path(key)
    if src is None:
        refuse_purged(intake, key)
        raise VaultIntegrityError(f"the vault copy of {key} is missing")
    action = "copy_plain" if decrypt == "none" else "decrypt"
    with recorded_stage(ledger, key, stage="decrypted", action=action, run_id=run_id) as draft:
        draft.input_sha256 = record.raw_sha256
        if decrypt == "none":
            out = copy_for_plain_feed(feed, record.name, src, dst)
        else:
            out = _decrypt(intake, record, feed, decrypt, src, draft)
        intake.store.publish(dst, sha256=out.sha256)
        draft.output_sha256, draft.bytes = out.sha256, out.bytes
        result = DecryptedResult(out.sha256, out.bytes, out.seconds, out.key_fingerprint,
                                 out.signer)
        mark_done(ledger, record, "decrypted", metrics=result.metadata(),
                  decrypted_sha256=out.sha256)
    if out.key_expired is not None:
        _report_expired(intake, record, out, run_id)
    return result


def _decrypt(intake: Intake, record: FileRecord, feed: FeedRef, decrypt: DecryptConfig,
             vault: Path, draft: EventDraft) -> Decrypted:
    """Decrypt the vault copy with the key chosen for the file's name; details on the draft."""
    draft.details = {}
    return decrypt_for_feed(intake.keystore, feed, record.name, vault,
                            intake.layout.decrypted_path(record.key), details=draft.details,
                            while_running=load_engines)


#: The modules the next stages run on (pandas, pandera, pyarrow under them: about a second).
ENGINE_MODULES = ("pvt_dagster.validation.engine", "pvt_dagster.scrubbing.engine")


def load_engines() -> None:
    """Import the validation and scrubbing engines while gpg decrypts: a run worker loads its
    code location without them, and this thread is idle until gpg is done."""
    for name in ENGINE_MODULES:
        importlib.import_module(name)


def _report_expired(intake: Intake, record: FileRecord, out: Decrypted, run_id: str) -> None:
    """A warning message: the file decrypted, but with a key that has expired."""
    assert out.key_expired is not None
    intake.ledger.record_message(
        dedupe_key=f"{record.key}:decrypted:{run_id}:key_expired", client=record.client,
        feed=record.feed, file_key=record.key, stage="decrypted", kind="key_expired",
        severity="warning",
        text=f"{record.key} was decrypted with key {out.key_fingerprint}, which expired on "
             f"{out.key_expired:%Y-%m-%d}: renew the key or give the client a new one",
        details={"run_id": run_id, "fingerprint": out.key_fingerprint})
