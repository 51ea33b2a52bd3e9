"""Streaming decryption with real gpg: round trips and one readable error per bad input."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from pvt_dagster.decrypt import copy_plain, decrypt_file, encrypt_file, looks_like_pgp
from pvt_dagster.errors import (
    BadPassphraseError,
    CorruptDataError,
    KeystoreError,
    NoSecretKeyError,
    NotEncryptedError,
)
from pvt_dagster_tests.decrypt.conftest import FOREIGN, OWNER, PASSPHRASE, PLAIN_OWNER, Keys

CSV = b"ssn,phone\n123-45-6789,(555) 123-4567\n" * 2000


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    """A plaintext CSV with (fake) PII."""
    path = tmp_path / "members.csv"
    path.write_bytes(CSV)
    return path


@pytest.fixture()
def encrypted(keys: Keys, plain: Path, tmp_path: Path) -> Path:
    """``plain`` encrypted (binary) to the protected owner key."""
    dst = tmp_path / "members.csv.pgp"
    encrypt_file(keys.keystore, plain, dst, recipient=OWNER)
    return dst


def out_dir(tmp_path: Path) -> Path:
    """The folder decrypted output goes to."""
    return tmp_path / "work" / "decrypted"


def assert_no_output(tmp_path: Path) -> None:
    """Nothing (no temp file either) is left where output would go."""
    folder = out_dir(tmp_path)
    assert not folder.exists() or os.listdir(folder) == []


def test_round_trip_binary(keys: Keys, encrypted: Path, tmp_path: Path) -> None:
    assert looks_like_pgp(encrypted)
    dst = out_dir(tmp_path) / "members.csv"
    got = decrypt_file(keys.keystore, encrypted, dst, key=OWNER, passphrase=PASSPHRASE)
    assert dst.read_bytes() == CSV
    assert got.bytes == len(CSV) and got.sha256 == hashlib.sha256(CSV).hexdigest()
    assert got.seconds >= 0
    assert stat.S_IMODE(dst.stat().st_mode) == 0o600
    assert stat.S_IMODE(dst.parent.stat().st_mode) == 0o700
    assert os.listdir(dst.parent) == ["members.csv"]
    again = decrypt_file(keys.keystore, encrypted, dst, key=OWNER, passphrase=PASSPHRASE)
    assert again.sha256 == got.sha256  # a rerun yields identical output


def test_work_overlaps_gpg_and_its_failure_is_not_the_decryptions(keys: Keys, encrypted: Path,
                                                                  tmp_path: Path) -> None:
    """``while_running`` runs once gpg has started and before its output is kept; an error in
    it is logged, and the file still decrypts."""
    dst = out_dir(tmp_path) / "members.csv"
    seen: list[bool] = []

    def overlapping() -> None:
        seen.append(dst.exists())
        raise RuntimeError("the caller's work failed")

    got = decrypt_file(keys.keystore, encrypted, dst, key=OWNER, passphrase=PASSPHRASE,
                       while_running=overlapping)
    assert seen == [False]  # called once, before the output was kept
    assert dst.read_bytes() == CSV and got.sha256 == hashlib.sha256(CSV).hexdigest()


def test_round_trip_armored_with_unprotected_key(keys: Keys, plain: Path,
                                                 tmp_path: Path) -> None:
    armored = tmp_path / "members.csv.asc"
    encrypt_file(keys.keystore, plain, armored, recipient=PLAIN_OWNER, armor=True)
    assert armored.read_bytes().startswith(b"-----BEGIN PGP MESSAGE-----")
    assert looks_like_pgp(armored)
    dst = out_dir(tmp_path) / "m.csv"
    got = decrypt_file(keys.keystore, armored, dst, key=keys.plain, passphrase=None)
    assert dst.read_bytes() == CSV and got.bytes == len(CSV)


def test_encrypted_to_a_key_we_do_not_hold(keys: Keys, plain: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.pgp"
    encrypt_file(keys.keystore, plain, foreign, recipient=FOREIGN)
    with pytest.raises(NoSecretKeyError, match="not held in the keystore"):
        decrypt_file(keys.keystore, foreign, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert_no_output(tmp_path)


def test_wrong_passphrase_is_never_masked_by_the_agent_cache(keys: Keys, encrypted: Path,
                                                             tmp_path: Path) -> None:
    dst = out_dir(tmp_path) / "x"
    decrypt_file(keys.keystore, encrypted, dst, key=OWNER, passphrase=PASSPHRASE)
    dst.unlink()
    for _ in range(2):
        with pytest.raises(BadPassphraseError, match="is wrong") as info:
            decrypt_file(keys.keystore, encrypted, dst, key=OWNER, passphrase="not it")
        assert "not it" not in str(info.value)
        assert_no_output(tmp_path)


def test_missing_passphrase(keys: Keys, encrypted: Path, tmp_path: Path) -> None:
    with pytest.raises(BadPassphraseError, match="is missing"):
        decrypt_file(keys.keystore, encrypted, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=None)
    assert_no_output(tmp_path)


def test_not_pgp(keys: Keys, plain: Path, tmp_path: Path) -> None:
    assert not looks_like_pgp(plain)
    with pytest.raises(NotEncryptedError, match="not PGP") as info:
        decrypt_file(keys.keystore, plain, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert "123-45" not in str(info.value) and "\n" not in str(info.value)
    assert_no_output(tmp_path)


def test_zero_bytes(keys: Keys, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pgp"
    empty.write_bytes(b"")
    assert not looks_like_pgp(empty)
    with pytest.raises(NotEncryptedError, match="empty"):
        decrypt_file(keys.keystore, empty, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert_no_output(tmp_path)


@pytest.mark.parametrize("keep", [10, 200, 0.5, -40, -1])
def test_truncated(keys: Keys, encrypted: Path, tmp_path: Path, keep: float) -> None:
    data = encrypted.read_bytes()
    cut = int(len(data) * keep) if isinstance(keep, float) else keep
    truncated = tmp_path / "truncated.pgp"
    truncated.write_bytes(data[:cut])
    with pytest.raises(CorruptDataError, match="truncated or damaged") as info:
        decrypt_file(keys.keystore, truncated, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert "\n" not in str(info.value)
    assert_no_output(tmp_path)


def test_damaged(keys: Keys, encrypted: Path, tmp_path: Path) -> None:
    data = bytearray(encrypted.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.pgp"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError):
        decrypt_file(keys.keystore, damaged, out_dir(tmp_path) / "x", key=OWNER,
                     passphrase=PASSPHRASE)
    assert_no_output(tmp_path)


def test_key_missing_from_keystore(keys: Keys, encrypted: Path, tmp_path: Path) -> None:
    with pytest.raises(KeystoreError, match=r"no secret key for nobody@x\.example in the keystore"):
        decrypt_file(keys.keystore, encrypted, out_dir(tmp_path) / "x", key="nobody@x.example",
                     passphrase=PASSPHRASE)
    with pytest.raises(KeystoreError, match="no secret key"):
        decrypt_file(keys.keystore, encrypted, out_dir(tmp_path) / "x", key=FOREIGN,
                     passphrase=None)
    assert_no_output(tmp_path)


def test_copy_plain(plain: Path, tmp_path: Path) -> None:
    dst = out_dir(tmp_path) / "members.csv"
    got = copy_plain(plain, dst)
    assert dst.read_bytes() == CSV and got.sha256 == hashlib.sha256(CSV).hexdigest()
    assert got.bytes == len(CSV) and stat.S_IMODE(dst.stat().st_mode) == 0o600
    assert os.listdir(dst.parent) == ["members.csv"]


@pytest.mark.parametrize("head", ["État,ville\n".encode(), b"\xef\xbb\xbfa,b\n", b"\xc2\xa0x\n",
                                  b"   \n", b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n"])
def test_looks_like_pgp_is_false_for_text(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(head + b"1,2\n" * 10)
    assert not looks_like_pgp(path)
