"""Streaming PGP decryption (and the plain copy for ``decrypt: none`` feeds).

gpg reads the file from a pipe and writes the plaintext straight to a temporary file beside the
output; nothing passes through Python's memory. gpg's status lines are mapped to one error per
outcome, with messages that name the file and key but never contain data.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.decrypt.keystore import Keystore, gpg_text
from pvt_dagster.errors import (
    BadPassphraseError,
    CorruptDataError,
    DecryptError,
    KeystoreError,
    NoSecretKeyError,
    NotEncryptedError,
)
from pvt_dagster.sources.base import iter_chunks
from pvt_dagster.transport.transfer import ensure_private_dir, sha256_file

ARMOR_HEADER = b"-----BEGIN PGP MESSAGE-----"
# gpg error codes (low 16 bits of ERROR pkdecrypt_failed): bad passphrase, no passphrase given.
_PASSPHRASE_CODES = {11, 177}
# ... and codes that mean the encrypted session key is damaged: unknown packet or version,
# checksum, invalid packet or armor, wrong secret key (garbage decrypted), bad MPI, no data.
_CORRUPT_CODES = {2, 3, 10, 14, 15, 18, 30, 58}
# Packet tags that can start an OpenPGP message: PKESK, signature, SKESK, one-pass signature,
# compressed, SED, marker, literal, SEIPD, AEAD.
_MESSAGE_TAGS = {1, 2, 3, 4, 8, 9, 10, 11, 18, 20}


@dataclass(frozen=True)
class Decrypted:
    """The plaintext written: its size, sha256 and the time it took."""

    bytes: int
    sha256: str
    seconds: float


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
    return checks.get(tag, lambda v: True)(version)


def decrypt_file(keystore: Keystore, src: Path, dst: Path, *, key: str,
                 passphrase: str | None) -> Decrypted:
    """Decrypt ``src`` into ``dst`` (0600) with the secret key ``key``; no output on error."""
    if not keystore.has_secret_key(key):
        raise KeystoreError(f"no secret key for {key} in the keystore")
    if passphrase and ("\n" in passphrase or "\r" in passphrase):
        raise BadPassphraseError(f"the passphrase for {key} contains a line break")
    try:
        empty = os.path.getsize(src) == 0
    except OSError as exc:
        raise DecryptError(f"cannot read {src.name}: {exc.strerror}") from exc
    if empty:
        raise NotEncryptedError(f"{src.name} is empty, not PGP data")
    started = time.monotonic()
    tmp = _temp_beside(dst)
    try:
        # Without a passphrase, loopback with an empty one: never a pinentry prompt.
        extra = None if passphrase else ["--pinentry-mode", "loopback",
                                         "--passphrase-file", os.devnull]
        try:
            with open(src, "rb") as fh:
                result = keystore.gpg.decrypt_file(
                    fh, passphrase=gpg_text(passphrase) if passphrase else None,
                    output=str(tmp), extra_args=extra)
        except (OSError, ValueError) as exc:
            raise DecryptError(f"cannot run gpg on {src.name}: {exc}") from exc
        statuses = _statuses(result.stderr)
        if not (result.ok and "DECRYPTION_OKAY" in statuses):
            raise _error(src, key, statuses, passphrase)
        os.chmod(tmp, 0o600)
        size = os.path.getsize(tmp)
        sha = sha256_file(tmp)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return Decrypted(bytes=size, sha256=sha, seconds=time.monotonic() - started)


def _temp_beside(dst: Path) -> Path:
    """A new empty 0600 file in ``dst``'s folder (created 0700 if missing)."""
    try:
        ensure_private_dir(dst.parent)
        fd, name = tempfile.mkstemp(prefix=f".{dst.name[:40]}.", suffix=".part", dir=dst.parent)
    except OSError as exc:
        raise DecryptError(f"cannot write into {dst.parent}: {exc.strerror}") from exc
    os.close(fd)
    return Path(name)


def _statuses(stderr: str) -> dict[str, list[str]]:
    """gpg's ``[GNUPG:] KEYWORD args`` lines by keyword."""
    found: dict[str, list[str]] = {}
    for line in (stderr or "").splitlines():
        if line.startswith("[GNUPG:] "):
            keyword, _, args = line[9:].strip().partition(" ")
            found.setdefault(keyword, []).append(args)
    return found


def _error(src: Path, key: str, statuses: dict[str, list[str]],
           passphrase: str | None) -> DecryptError:
    """The error that matches gpg's status lines."""
    name = src.name
    codes = set()
    for args in statuses.get("ERROR", []):
        parts = args.split()
        if len(parts) == 2 and parts[0] == "pkdecrypt_failed" and parts[1].isdigit():
            codes.add(int(parts[1]) & 0xFFFF)
    if (codes & _PASSPHRASE_CODES or "BAD_PASSPHRASE" in statuses
            or "MISSING_PASSPHRASE" in statuses):
        what = "is wrong" if passphrase else "is missing"
        return BadPassphraseError(f"cannot decrypt {name}: the passphrase for {key} {what}")
    if "NO_SECKEY" in statuses and not codes:
        ids = ", ".join(a.split()[0] for a in statuses["NO_SECKEY"] if a)
        return NoSecretKeyError(
            f"cannot decrypt {name}: it is encrypted to key {ids}, not held in the keystore")
    pgp_seen = {"ENC_TO", "BEGIN_DECRYPTION", "DECRYPTION_KEY", "PLAINTEXT", "NEED_PASSPHRASE_SYM"}
    if "NODATA" in statuses and not pgp_seen & statuses.keys() and not looks_like_pgp(src):
        return NotEncryptedError(f"{name} is not PGP data")
    if "PLAINTEXT" in statuses and not {"ENC_TO", "BEGIN_DECRYPTION"} & statuses.keys():
        return NotEncryptedError(f"{name} is PGP data but not encrypted (signed or literal only)")
    if codes - _CORRUPT_CODES:
        return DecryptError(f"cannot decrypt {name}: gpg could not unlock the session key "
                            f"(error code {min(codes - _CORRUPT_CODES)})")
    return CorruptDataError(f"cannot decrypt {name}: the PGP data is truncated or damaged")


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
