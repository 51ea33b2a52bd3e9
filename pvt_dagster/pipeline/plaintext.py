"""A file's decrypted plaintext in ``work/decrypted/`` (an object, with ``storage:``): written
by ``decrypted``, read by ``validated`` and ``scrubbed``, and removed once nothing needs it any
more (the file delivered, or failed or blocked at a stage after decryption) unless ``work:
{keep_plaintext: true}``.

A replay or a rerun that needs it again gets it back: it is decrypted again from the vault
copy (whose sha256 is checked first) and must match the sha256 recorded when it was first
decrypted."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pvt_dagster.decrypt import decrypt_or_copy
from pvt_dagster.errors import StageOrderError, VaultIntegrityError
from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.transport import sha256_file

log = logging.getLogger(__name__)


def plaintext(intake: Intake, record: FileRecord) -> Path:
    """The decrypted file of ``record``, decrypted again from the vault if it was removed."""
    path = intake.layout.decrypted_path(record.key)
    stored = intake.store.get(path)
    if stored is not None:
        return stored
    if not record.decrypted_sha256:
        raise StageOrderError(f"{record.key} has no decrypted output: replay it from decrypted")
    vault = intake.store.get(intake.layout.vault_path(record.key))
    if vault is None or sha256_file(vault) != record.raw_sha256:
        raise VaultIntegrityError(f"the vault copy of {record.key} is missing or no longer "
                                  "matches its recorded sha256; cannot decrypt it again")
    out = decrypt_or_copy(intake.keystore, intake.feed_of(record), record.name, vault, path)
    if out.sha256 != record.decrypted_sha256:
        path.unlink(missing_ok=True)
        raise VaultIntegrityError(f"{record.key} decrypted again from the vault does not match "
                                  "the sha256 recorded when it was first decrypted")
    intake.store.publish(path, sha256=out.sha256)
    log.info("%s: plaintext decrypted again from the vault", record.key)
    return path


def release_plaintext(intake: Intake, key: str) -> bool:
    """Remove the decrypted file of ``key`` (unless ``work.keep_plaintext``); whether it was."""
    if intake.config.work.keep_plaintext:
        return False
    if not intake.store.remove(intake.layout.decrypted_path(key)):
        return False
    log.info("%s: plaintext removed from the work folder", key)
    return True


@contextmanager
def released_on_failure(intake: Intake, key: str) -> Iterator[None]:
    """Remove the plaintext of ``key`` if the body fails: the file is final until a replay or
    a retry, which decrypts it again."""
    try:
        yield
    except BaseException:
        release_plaintext(intake, key)
        raise
