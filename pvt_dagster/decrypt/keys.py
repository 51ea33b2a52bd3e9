"""Key generation, export and encryption: used by ``pvt demo`` and the tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pvt_dagster.decrypt.keystore import Keystore, gpg_text
from pvt_dagster.errors import KeystoreError

Algorithm = Literal["rsa3072", "ed25519"]

_PARAMS: dict[str, dict[str, str | int]] = {
    "rsa3072": {"key_type": "RSA", "key_length": 3072, "subkey_type": "RSA",
                "subkey_length": 3072, "subkey_usage": "encrypt"},
    "ed25519": {"key_type": "EDDSA", "key_curve": "ed25519", "subkey_type": "ECDH",
                "subkey_curve": "cv25519", "subkey_usage": "encrypt"},
}


GEN_KEY_ATTEMPTS = 3


def generate_key(keystore: Keystore, *, name: str, email: str, passphrase: str | None,
                 algorithm: Algorithm = "rsa3072") -> str:
    """Generate a key with an encryption subkey that never expires; its fingerprint.

    The parameters (passphrase included) go to gpg on stdin, never on a command line.
    ``ed25519`` (with a cv25519 subkey) is faster to generate than RSA 3072.
    """
    if passphrase is not None and ("\n" in passphrase or "\r" in passphrase):
        raise KeystoreError("a passphrase cannot contain a line break")
    params: dict[str, str | int] = {**_PARAMS[algorithm], "name_real": name,
                                    "name_email": email, "expire_date": 0}
    if passphrase:
        params["passphrase"] = passphrase
    text = gpg_text(keystore.gpg.gen_key_input(no_protection=not passphrase, **params))
    status = ""
    for attempt in range(GEN_KEY_ATTEMPTS):
        result = keystore.gpg.gen_key(text)
        if result.fingerprint:
            return str(result.fingerprint)
        # gpg 2.2 now and then fails a batch generation while its agent is starting up (seen
        # on loaded machines); a fresh agent succeeds.
        status = str(result.status)
        keystore.stop_agent()
        time.sleep(0.5 * (attempt + 1))
    raise KeystoreError(f"gpg could not generate a key for {email}: {status}")


def export_public_key(keystore: Keystore, ident: str) -> str:
    """The armored public key named by ``ident``."""
    data = keystore.gpg.export_keys(ident)
    if not data:
        raise KeystoreError(f"no public key for {ident} in the keystore")
    return str(data)


def encrypt_file(keystore: Keystore, src: Path, dst: Path, *, recipient: str,
                 armor: bool = False) -> None:
    """Encrypt ``src`` to ``recipient`` into ``dst`` (streamed; the key is always trusted)."""
    try:
        with open(src, "rb") as fh:
            result = keystore.gpg.encrypt_file(fh, [recipient], always_trust=True, armor=armor,
                                               output=str(dst))
    except OSError as exc:
        raise KeystoreError(f"cannot encrypt {src}: {exc.strerror}") from exc
    if not result.ok:
        dst.unlink(missing_ok=True)
        raise KeystoreError(f"cannot encrypt {src.name} to {recipient}: {result.status}")
