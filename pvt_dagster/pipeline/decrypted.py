"""Stage ``decrypted``: the vault's raw bytes, decrypted with the feed's key (or copied, for a
plain feed) into the work folder, streamed and never held in memory."""

from __future__ import annotations

from dataclasses import dataclass

from pvt_dagster.decrypt import copy_plain, decrypt_file, looks_like_pgp
from pvt_dagster.errors import DecryptError
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster.pipeline.recording import recorded_stage
from pvt_dagster.pipeline.stage_guard import require_stage


@dataclass(frozen=True)
class DecryptedResult:
    """What ``decrypted`` produced."""

    sha256: str
    bytes: int
    seconds: float

    def metadata(self) -> dict[str, object]:
        """Plain values for the UI and the ledger."""
        return {"sha256": self.sha256, "bytes": self.bytes, "seconds": round(self.seconds, 3)}


def run_decrypted(intake: Intake, key: str, *, run_id: str) -> DecryptedResult:
    """Decrypt (or copy) the vault copy of ``key``; byte-identical on every rerun."""
    ledger = intake.ledger
    record = require_stage(ledger, key, "raw")
    feed = intake.feed_of(record)
    decrypt = feed.config.decrypt
    src, dst = intake.layout.vault_path(key), intake.layout.decrypted_path(key)
    action = "copy_plain" if decrypt == "none" else "decrypt"
    with recorded_stage(ledger, key, stage="decrypted", action=action, run_id=run_id) as draft:
        draft.input_sha256 = record.raw_sha256
        if decrypt == "none":
            if looks_like_pgp(src):
                raise DecryptError("the file is PGP-encrypted but its feed declares decrypt: none")
            out = copy_plain(src, dst)
        else:
            passphrase = decrypt.passphrase.resolve() if decrypt.passphrase else None
            out = decrypt_file(intake.keystore, src, dst, key=decrypt.key, passphrase=passphrase)
        draft.output_sha256, draft.bytes = out.sha256, out.bytes
        result = DecryptedResult(out.sha256, out.bytes, out.seconds)
        mark_done(ledger, record, "decrypted", metrics=result.metadata())
    return result
