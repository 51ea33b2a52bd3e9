"""Who a PGP message is encrypted to, read before anything is decrypted.

A keystore may hold the secret keys of several clients. gpg decrypts with whichever secret key
a message names, and a message encrypted with a passphrase only is decrypted with any
passphrase that fits (the feed's key passphrase included). So before decrypting, the key ids
the message is addressed to are listed (``gpg --list-only``: no secret key, no agent, no
passphrase) from the head of the file, and the message is refused unless it names the feed's
key (or hides its recipients, when the key that decrypted it is checked afterwards).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.decrypt.gpgstream import parse_statuses
from pvt_dagster.errors import DecryptError, NoSecretKeyError, WrongKeyError

HEAD_BYTES = 256 * 1024  # the session-key packets come first; far less than this in practice
HIDDEN = "0000000000000000"  # the key id of a hidden recipient (gpg --hidden-recipient)


@dataclass(frozen=True)
class Recipients:
    """The key ids a message is encrypted to, and whether it is an encrypted message whose
    session-key packets were read whole (False: not PGP, damaged, or signed or literal data
    only; the decryption run reports those)."""

    key_ids: tuple[str, ...]
    encrypted: bool

    @property
    def hidden(self) -> bool:
        """Whether a recipient is hidden (gpg must try every secret key on it)."""
        return HIDDEN in self.key_ids


def list_recipients(gpg_binary: str, gnupghome: Path, src: Path) -> Recipients:
    """The recipients named in the head of ``src``, without decrypting anything."""
    try:
        with open(src, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        proc = subprocess.run(
            [gpg_binary, "--homedir", str(gnupghome), "--batch", "--no-tty", "--status-fd", "1",
             "--no-auto-key-retrieve", "--list-only", "--output", "/dev/null", "--decrypt"],
            input=head, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DecryptError(f"cannot run gpg on {src.name}: {exc}") from exc
    statuses = parse_statuses(proc.stdout.decode("utf-8", "replace").splitlines())
    ids = tuple(a.split()[0].upper() for a in statuses.get("ENC_TO", []) if a.split())
    # Only a listing that reached the encrypted data is trusted: a truncated session-key packet
    # yields a garbled key id, and the decryption run reports the damage.
    return Recipients(ids, "BEGIN_DECRYPTION" in statuses)


def check_recipients(name: str, recipients: Recipients, wanted: str, own_ids: Sequence[str],
                     held_ids: Sequence[str]) -> None:
    """Refuse a message that is not addressed to the feed's key ``wanted`` (whose key and
    subkey fingerprints are ``own_ids``); ``held_ids`` are the fingerprints of every secret key
    and subkey in the keystore, to tell another client's key from a key we do not hold."""
    if not recipients.encrypted or recipients.hidden:
        return
    if any(_names(key_id, own_ids) for key_id in recipients.key_ids):
        return
    shown = ", ".join(recipients.key_ids)
    if not recipients.key_ids:
        raise WrongKeyError(f"cannot decrypt {name}: it is encrypted with a passphrase only, "
                            f"not to the feed's key {wanted}")
    if any(_names(key_id, held_ids) for key_id in recipients.key_ids):
        raise WrongKeyError(f"cannot decrypt {name}: it is encrypted to key {shown}, not to the "
                            f"feed's key {wanted} (that key is in the keystore for another "
                            "feed; it is never used for this one)")
    raise NoSecretKeyError(f"cannot decrypt {name}: it is encrypted to key {shown}, not held "
                           f"in the keystore (the feed's key is {wanted})")


def check_decryption_key(name: str, statuses: dict[str, list[str]], wanted: str,
                         own_ids: Sequence[str]) -> None:
    """After a run on a message with a hidden recipient: the key that decrypted it must be
    the feed's key (``DECRYPTION_KEY <subkey> <primary> ...``)."""
    used = [a.split()[:2] for a in statuses.get("DECRYPTION_KEY", []) if a.split()]
    if any(any(_names(fpr, own_ids) for fpr in pair) for pair in used):
        return
    shown = ", ".join(p[-1] for p in used) or "an unknown key"
    raise WrongKeyError(f"cannot decrypt {name}: its hidden recipient is {shown}, not the "
                        f"feed's key {wanted}")


def _names(key_id: str, fingerprints: Sequence[str]) -> bool:
    """Whether a key id (16 hex digits) or fingerprint names one of ``fingerprints``."""
    key_id = key_id.upper()
    return any(f.upper() == key_id or f.upper().endswith(key_id) for f in fingerprints)
