"""Decrypt: the keystore (a GnuPG home), streaming PGP decryption and the plain copy."""

from __future__ import annotations

from pvt_dagster.decrypt.agent import stop_agent_of
from pvt_dagster.decrypt.decryptor import (
    Decrypted,
    Limits,
    copy_plain,
    decrypt_file,
    looks_like_pgp,
)
from pvt_dagster.decrypt.feed import copy_for_plain_feed, decrypt_for_feed, decrypt_or_copy
from pvt_dagster.decrypt.inventory import EXPIRY_WARNING, inventory, key_problems, key_uses
from pvt_dagster.decrypt.keys import encrypt_file, export_public_key, generate_key
from pvt_dagster.decrypt.keystore import KeyInfo, Keystore

__all__ = [
    "EXPIRY_WARNING",
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
    "inventory",
    "key_problems",
    "key_uses",
    "looks_like_pgp",
    "stop_agent_of",
]
