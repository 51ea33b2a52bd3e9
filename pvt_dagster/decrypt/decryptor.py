"""Streaming PGP decryption (and the plain copy for ``decrypt: none`` feeds).

gpg reads the file on its stdin and its plaintext is streamed, a megabyte at a time, into a
temporary file beside the output (see ``gpgstream``); the plaintext never sits in memory. gpg's
status lines are mapped to one error per outcome (``outcome``), with messages that name the
file and key but never contain data.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pvt_dagster.config import DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_MAX_RATIO
from pvt_dagster.decrypt.agent import (
    ATTEMPTS,
    agent_in_use,
    backoff,
    error_codes,
    is_transient,
)
from pvt_dagster.decrypt.gpgstream import gpg_decrypt_stream
from pvt_dagster.decrypt.keystore import KeyInfo, Keystore, matches
from pvt_dagster.decrypt.outcome import check_signature, decrypt_error, succeeded
from pvt_dagster.decrypt.recipients import (
    check_decryption_key,
    check_recipients,
    list_recipients,
)
from pvt_dagster.errors import (
    AgentUnavailableError,
    BadPassphraseError,
    DecompressionLimitError,
    DecryptError,
    KeystoreError,
    NotEncryptedError,
    PvtError,
)
from pvt_dagster.fsutil import private_temp_beside
from pvt_dagster.sources import iter_chunks

log = logging.getLogger(__name__)
ARMOR_HEADER = b"-----BEGIN PGP MESSAGE-----"
RATIO_FLOOR = 16 * 1024 * 1024  # max_ratio is enforced once the plaintext passes 16 MiB
# Packet tags that can start an OpenPGP message: PKESK, signature, SKESK, one-pass signature,
# compressed, SED, marker, literal, SEIPD, AEAD.
_MESSAGE_TAGS = {1, 2, 3, 4, 8, 9, 10, 11, 18, 20}


@dataclass(frozen=True)
class Decrypted:
    """The plaintext written: its size, sha256, the time it took, and (for PGP) the good
    signer's fingerprint, the key used and its expiry if it has expired."""

    bytes: int
    sha256: str
    seconds: float
    signer: str | None = None
    key_fingerprint: str | None = None
    key_expired: datetime | None = None


def looks_like_pgp(path: Path) -> bool:
    """Whether the file starts like an OpenPGP message (binary packet or ASCII armor)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise DecryptError(f"cannot read {Path(path).name}: {exc.strerror}") from exc
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(ARMOR_HEADER):
        return True
    return _binary_packet(head)


def _binary_packet(head: bytes) -> bool:
    """Whether ``head`` starts with a plausible OpenPGP message packet."""
    if len(head) < 3 or not head[0] & 0x80:
        return False
    first = head[0]
    if first & 0x40:  # new format: tag in 6 bits, then a length of 1, 2 or 5 octets
        tag = first & 0x3F
        octet = head[1]
        body = 2 if octet < 192 or 224 <= octet < 255 else 3 if octet < 224 else 6
    else:  # old format (0x80-0xBF never starts UTF-8 text)
        tag = (first >> 2) & 0x0F
        body = 1 + {0: 1, 1: 2, 2: 4, 3: 0}[first & 0x03]
    if tag not in _MESSAGE_TAGS or len(head) <= body:
        return False
    version = head[body]
    checks: dict[int, Callable[[int], bool]] = {
        1: lambda v: v in (3, 6),
        3: lambda v: v in (4, 5, 6),
        4: lambda v: v in (3, 6),
        2: lambda v: v in (3, 4, 5, 6),
        8: lambda v: v in (0, 1, 2, 3),
        11: lambda v: v in b"btu8lm",
        18: lambda v: v in (1, 2),
        20: lambda v: v == 1,
    }
    check = checks.get(tag)
    return check is None or check(version)


@dataclass(frozen=True)
class Limits:
    """Bounds on the plaintext of one file: bytes, and bytes per encrypted byte.

    The ratio applies only past ``RATIO_FLOOR`` bytes, so small, very regular files pass."""

    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    max_ratio: float = DEFAULT_MAX_RATIO

    def for_input(self, size: int) -> tuple[int, str]:
        """The byte limit for an input of ``size`` bytes, and which setting sets it."""
        by_ratio = max(RATIO_FLOOR, int(self.max_ratio * size))
        if by_ratio < self.max_output_bytes:
            return by_ratio, f"max_ratio {self.max_ratio:g} ({by_ratio} bytes for {size})"
        return self.max_output_bytes, f"max_output_bytes ({self.max_output_bytes})"


def decrypt_file(keystore: Keystore, src: Path, dst: Path, *, key: str,
                 passphrase: str | None, limits: Limits | None = None,
                 trusted_signers: Sequence[str] | None = None,
                 while_running: Callable[[], None] | None = None) -> Decrypted:
    """Decrypt ``src`` into ``dst`` (0600) with the secret key ``key`` and no other, streamed;
    no output on error. With ``trusted_signers``, a good signature by one of them is required.
    A run that fails because gpg could not talk to its agent is retried (``agent``).
    ``while_running``: the caller's work to do while gpg runs (see ``gpg_decrypt_stream``)."""
    if passphrase and ("\n" in passphrase or "\r" in passphrase):
        raise BadPassphraseError(f"the passphrase for {key} contains a line break")
    try:
        size = os.path.getsize(src)
    except OSError as exc:
        raise DecryptError(f"cannot read {src.name}: {exc.strerror}") from exc
    if size == 0:
        raise NotEncryptedError(f"{src.name} is empty (zero bytes), not PGP data")
    job = _Job(keystore, src, dst, key, passphrase, (limits or Limits()).for_input(size),
               trusted_signers, while_running)
    started = time.monotonic()
    final: PvtError | None = None
    for attempt in range(1, ATTEMPTS + 1):
        if attempt > 1:
            time.sleep(backoff(attempt))
        try:
            with agent_in_use(keystore.gnupghome):
                return job.attempt(started)
        except _AgentTrouble as trouble:
            log.info("%s: gpg could not talk to its agent (attempt %d of %d, %s)", src.name,
                     attempt, ATTEMPTS, type(trouble.final).__name__)
            final = trouble.final
    assert final is not None
    raise final


class _AgentTrouble(Exception):
    """An attempt failed because gpg could not talk to its agent; ``final`` is the error to
    raise if every attempt does."""

    def __init__(self, final: PvtError) -> None:
        super().__init__(str(final))
        self.final = final


@dataclass(frozen=True)
class _Job:
    """One file to decrypt, and one attempt at it."""

    keystore: Keystore
    src: Path
    dst: Path
    key: str
    passphrase: str | None
    limit: tuple[int, str]
    trusted_signers: Sequence[str] | None
    while_running: Callable[[], None] | None = None

    def _key(self) -> tuple[KeyInfo, list[str], list[str]]:
        """The feed's secret key, its (sub)key fingerprints, and every secret fingerprint."""
        secret = self.keystore.keys_with_subkeys(secret=True)
        chosen = [(info, subs) for info, subs in secret if matches(info, self.key, subs)]
        if not chosen:
            missing = KeystoreError(f"no secret key for {self.key} in the keystore")
            public = self.keystore.keys_with_subkeys(secret=False)
            if any(matches(info, self.key, subs) for info, subs in public):
                raise _AgentTrouble(missing)  # the agent may not have answered for it
            raise missing
        found = chosen[0][0]
        return found, [found.fingerprint, *chosen[0][1]], [
            f for info, subs in secret for f in (info.fingerprint, *subs)]

    def attempt(self, started: float) -> Decrypted:
        """Check the recipients, run gpg and keep the output only if everything holds."""
        src, (limit, limit_name) = self.src, self.limit
        found, own_ids, held_ids = self._key()
        recipients = list_recipients(self.keystore.gpg_binary, self.keystore.gnupghome, src)
        check_recipients(src.name, recipients, found.fingerprint, own_ids, held_ids)
        tmp = _temp_beside(self.dst)
        try:
            run = gpg_decrypt_stream(self.keystore.gpg_binary, self.keystore.gnupghome,
                                     src, tmp, passphrase=self.passphrase, limit=limit,
                                     while_running=self.while_running)
            if run.stopped_at_limit:
                raise DecompressionLimitError(
                    f"{src.name}: decrypted output passed the limit of {limit_name}; gpg "
                    "was stopped and nothing was kept (a compression bomb?)")
            if not succeeded(run.statuses, run.returncode):
                if is_transient(run.statuses, own_ids):
                    raise _AgentTrouble(AgentUnavailableError(
                        f"cannot decrypt {src.name}: gpg could not talk to the keystore's "
                        f"agent after {ATTEMPTS} attempts (error codes "
                        f"{sorted(error_codes(run.statuses)) or 'none'})"))
                raise decrypt_error(src, self.key, run.statuses, self.passphrase,
                                    looks_like_pgp(src))
            if recipients.hidden:
                check_decryption_key(src.name, run.statuses, found.fingerprint, own_ids)
            signer = self._signer(run.statuses)
            os.replace(tmp, self.dst)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        expired = found.expires if found.expires and found.expires <= datetime.now(UTC) else None
        return Decrypted(bytes=run.bytes, sha256=run.sha256, seconds=time.monotonic() - started,
                         signer=signer, key_fingerprint=found.fingerprint, key_expired=expired)

    def _signer(self, statuses: dict[str, list[str]]) -> str | None:
        """The good signer's fingerprint; SignatureError where the feed's rules say so."""
        if "BADSIG" in statuses or self.trusted_signers:
            return check_signature(self.src, statuses, self.trusted_signers or ()).fingerprint
        return _good_signer(statuses)


def _good_signer(statuses: dict[str, list[str]]) -> str | None:
    """The primary fingerprint of a good signature, if the message carried one."""
    for args in statuses.get("VALIDSIG", []):
        parts = args.split()
        return parts[-1] if len(parts) >= 10 else parts[0]
    return None


def _temp_beside(dst: Path) -> Path:
    """A new empty 0600 file in ``dst``'s folder (created 0700 if missing)."""
    try:
        fd, tmp = private_temp_beside(dst)
    except OSError as exc:
        raise DecryptError(f"cannot write into {dst.parent}: {exc.strerror}") from exc
    os.close(fd)
    return tmp


def copy_plain(src: Path, dst: Path) -> Decrypted:
    """Copy a plain file (``decrypt: none``) into ``dst`` (0600) with its sha256; streamed."""
    started = time.monotonic()
    tmp = _temp_beside(dst)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            for chunk in iter_chunks(fin):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        os.replace(tmp, dst)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise DecryptError(f"cannot copy {src.name}: {exc.strerror}") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return Decrypted(bytes=size, sha256=digest.hexdigest(), seconds=time.monotonic() - started)
