"""A file is decrypted with its feed's key and no other: the keystore holds several clients'
secret keys, and a file encrypted to another of them (or with a passphrase only) is refused
with an error naming the key the feed expects, and nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pvt_dagster.decrypt import decrypt_file
from pvt_dagster.errors import NoSecretKeyError, WrongKeyError
from pvt_dagster_tests.decrypt.conftest import FOREIGN, OWNER, PASSPHRASE, PLAIN_OWNER, Keys
from pvt_dagster_tests.support.gpgtools import gpg_encrypt, gpg_symmetric

CSV = b"id,ssn\n1,123-45-6789\n" * 50


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    """A small plaintext CSV."""
    path = tmp_path / "members.csv"
    path.write_bytes(CSV)
    return path


def _nothing_written(folder: Path) -> bool:
    return not folder.exists() or os.listdir(folder) == []


def test_file_for_another_clients_key_in_the_same_keystore_is_refused(
        keys: Keys, plain: Path, tmp_path: Path) -> None:
    other = gpg_encrypt(keys.keystore, plain, tmp_path / "other.pgp", recipient=PLAIN_OWNER)
    out = tmp_path / "out"
    with pytest.raises(WrongKeyError) as info:
        decrypt_file(keys.keystore, other, out / "x", key=OWNER, passphrase=PASSPHRASE)
    message = str(info.value)
    assert keys.owner in message and "another feed" in message
    assert _nothing_written(out)
    # the same file decrypts for the feed whose key it is
    decrypt_file(keys.keystore, other, out / "y", key=PLAIN_OWNER, passphrase=None)
    assert (out / "y").read_bytes() == CSV


def test_passphrase_only_message_is_refused_even_with_the_keys_passphrase(
        keys: Keys, plain: Path, tmp_path: Path) -> None:
    symmetric = gpg_symmetric(keys.keystore, plain, tmp_path / "sym.pgp", passphrase=PASSPHRASE)
    with pytest.raises(WrongKeyError, match=f"passphrase only, not to the feed's key "
                                            f"{keys.owner}"):
        decrypt_file(keys.keystore, symmetric, tmp_path / "out" / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert _nothing_written(tmp_path / "out")


def test_hidden_recipient_must_be_the_feeds_key(keys: Keys, plain: Path,
                                                tmp_path: Path) -> None:
    other = gpg_encrypt(keys.keystore, plain, tmp_path / "h1.pgp", recipient=PLAIN_OWNER,
                        hidden=True)
    with pytest.raises(WrongKeyError, match=f"not the feed's key {keys.owner}"):
        decrypt_file(keys.keystore, other, tmp_path / "out" / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert _nothing_written(tmp_path / "out")
    mine = gpg_encrypt(keys.keystore, plain, tmp_path / "h2.pgp", recipient=PLAIN_OWNER,
                       hidden=True)
    decrypt_file(keys.keystore, mine, tmp_path / "out" / "y", key=PLAIN_OWNER, passphrase=None)
    assert (tmp_path / "out" / "y").read_bytes() == CSV


def test_key_not_held_still_says_so_and_names_the_feeds_key(keys: Keys, plain: Path,
                                                            tmp_path: Path) -> None:
    foreign = gpg_encrypt(keys.keystore, plain, tmp_path / "f.pgp", recipient=FOREIGN)
    with pytest.raises(NoSecretKeyError, match="not held in the keystore") as info:
        decrypt_file(keys.keystore, foreign, tmp_path / "out" / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert not isinstance(info.value, WrongKeyError) and keys.owner in str(info.value)
