"""Decrypt: the keystore (a GnuPG home), streaming PGP decryption and the plain copy."""

from __future__ import annotations

from pvt_dagster.decrypt.decryptor import (
    Decrypted,
    Limits,
    copy_plain,
    decrypt_file,
    looks_like_pgp,
)
from pvt_dagster.decrypt.feed import copy_for_plain_feed, decrypt_for_feed, decrypt_or_copy
from pvt_dagster.decrypt.keys import encrypt_file, export_public_key, generate_key
from pvt_dagster.decrypt.keystore import KeyInfo, Keystore

__all__ = [
    "Decrypted",
    "KeyInfo",
    "Keystore",
    "Limits",
    "copy_for_plain_feed",
    "copy_plain",
    "decrypt_file",
    "decrypt_for_feed",
    "decrypt_or_copy",
    "encrypt_file",
    "export_public_key",
    "generate_key",
    "looks_like_pgp",
]
