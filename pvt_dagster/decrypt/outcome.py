"""Reading a gpg run's status lines: one readable error per way decryption can fail, and the
signature verdict for feeds that require one. Messages name the file and key, never data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.errors import (
    BadPassphraseError,
    CorruptDataError,
    DecryptError,
    NoSecretKeyError,
    NotEncryptedError,
    SignatureError,
)

# gpg error codes (low 16 bits of ERROR pkdecrypt_failed): bad passphrase, no passphrase given.
_PASSPHRASE_CODES = {11, 177}
# ... and codes that mean the encrypted session key is damaged: unknown packet or version,
# checksum, invalid packet or armor, wrong secret key (garbage decrypted), bad MPI, no data.
_CORRUPT_CODES = {2, 3, 10, 14, 15, 18, 30, 58}
_PGP_SEEN = {"ENC_TO", "BEGIN_DECRYPTION", "DECRYPTION_KEY", "PLAINTEXT", "NEED_PASSPHRASE_SYM"}


def decrypt_error(src: Path, key: str, statuses: dict[str, list[str]],
                  passphrase: str | None, pgp_like: bool) -> DecryptError:
    """The error that matches gpg's status lines for a failed decryption."""
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
    if "NODATA" in statuses and not _PGP_SEEN & statuses.keys() and not pgp_like:
        return NotEncryptedError(f"{name} is not PGP data")
    if "PLAINTEXT" in statuses and not {"ENC_TO", "BEGIN_DECRYPTION"} & statuses.keys():
        return NotEncryptedError(f"{name} is PGP data but not encrypted (signed or literal only)")
    if codes - _CORRUPT_CODES:
        return DecryptError(f"cannot decrypt {name}: gpg could not unlock the session key "
                            f"(error code {min(codes - _CORRUPT_CODES)})")
    return CorruptDataError(f"cannot decrypt {name}: the PGP data is truncated or damaged")


def succeeded(statuses: dict[str, list[str]], returncode: int | None) -> bool:
    """Whether gpg decrypted the whole message with its integrity check intact (a signature
    problem alone also makes gpg exit non-zero: that is judged by the signature checks)."""
    if ("DECRYPTION_OKAY" not in statuses or "DECRYPTION_FAILED" in statuses
            or "BADMDC" in statuses):
        return False
    return returncode == 0 or bool(_SIGNATURE_TROUBLE & statuses.keys())


_SIGNATURE_TROUBLE = {"BADSIG", "ERRSIG", "NO_PUBKEY", "EXPKEYSIG", "EXPSIG", "REVKEYSIG"}


@dataclass(frozen=True)
class Signature:
    """A good signature: the signing key's primary fingerprint."""

    fingerprint: str


def check_signature(src: Path, statuses: dict[str, list[str]],
                    trusted: Sequence[str]) -> Signature:
    """The good signature of a trusted signer; SignatureError if missing, bad or untrusted."""
    name = src.name
    if "BADSIG" in statuses:
        who = statuses["BADSIG"][0].split()[0] if statuses["BADSIG"][0] else "?"
        return _raise(f"{name} has a BAD signature (key {who}): the data or signature was "
                      "altered")
    if "ERRSIG" in statuses or "NO_PUBKEY" in statuses:
        who = (statuses.get("ERRSIG") or statuses.get("NO_PUBKEY") or ["?"])[0].split()[0]
        return _raise(f"{name} is signed by key {who}, whose public key is not in the "
                      "keystore: the signature cannot be checked")
    for keyword, why in (("REVKEYSIG", "a revoked key"), ("EXPKEYSIG", "an expired key"),
                         ("EXPSIG", "an expired signature")):
        if keyword in statuses:
            return _raise(f"{name} is signed with {why}")
    valid = statuses.get("VALIDSIG", [])
    if not valid:
        return _raise(f"{name} is not signed, but its feed requires a signature")
    wanted = {t.upper() for t in trusted}
    for args in valid:
        parts = args.split()
        signer, primary = parts[0].upper(), parts[-1].upper() if len(parts) >= 10 else ""
        if signer in wanted or primary in wanted:
            return Signature(primary or signer)
    first = valid[0].split()
    shown = first[-1] if len(first) >= 10 else first[0]
    return _raise(f"{name} is signed by {shown}, which is not one of the feed's trusted signers")


def _raise(message: str) -> Signature:
    raise SignatureError(message)
