"""Streaming decryption by our own gpg process: every armour and compression, passphrases that
never reach a command line, signatures required from trusted signers, expired keys, and the
decompression limits that stop a compression bomb without leaving output behind."""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pvt_dagster.decrypt import Limits, decrypt_file
from pvt_dagster.decrypt.outcome import check_signature, succeeded
from pvt_dagster.errors import DecompressionLimitError, SignatureError
from pvt_dagster_tests.decrypt.conftest import OWNER, PASSPHRASE, PLAIN_OWNER, Keys
from pvt_dagster_tests.support.gpgtools import expired_key_with_file, gpg_encrypt

CSV = b"member_id,ssn\n" + b"".join(b"%d,123-45-%04d\n" % (i, i % 10000) for i in range(20000))


@pytest.fixture()
def plain(tmp_path: Path) -> Path:
    """A plaintext CSV of about 360 KB."""
    path = tmp_path / "members.csv"
    path.write_bytes(CSV)
    return path


def leftovers(folder: Path) -> list[str]:
    """Files in ``folder`` (none means no partial output was left)."""
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.mark.parametrize("armor", [False, True], ids=["binary", "armored"])
@pytest.mark.parametrize("compress", ["none", "zip", "zlib", "bzip2"])
def test_every_armour_and_compression(keys: Keys, plain: Path, tmp_path: Path, armor: bool,
                                      compress: str) -> None:
    enc = gpg_encrypt(keys.keystore, plain, tmp_path / "m.pgp", recipient=OWNER, armor=armor,
                      compress=compress)
    assert enc.read_bytes().startswith(b"-----BEGIN PGP MESSAGE-----") == armor
    dst = tmp_path / "out" / "m.csv"
    got = decrypt_file(keys.keystore, enc, dst, key=OWNER, passphrase=PASSPHRASE)
    assert dst.read_bytes() == CSV
    assert (got.bytes, got.sha256) == (len(CSV), hashlib.sha256(CSV).hexdigest())
    assert got.key_fingerprint == keys.owner and got.signer is None and got.key_expired is None
    assert leftovers(dst.parent) == ["m.csv"]


def test_passphrase_never_shows_in_ps(keys: Keys, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(48 * 1024 * 1024))
    enc = gpg_encrypt(keys.keystore, big, tmp_path / "big.pgp", recipient=OWNER,
                      compress="none")
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            out = subprocess.run(["ps", "-eww", "-o", "args="], capture_output=True,
                                 text=True, check=False).stdout
            seen.extend(line for line in out.splitlines()
                        if str(keys.keystore.gnupghome) in line or PASSPHRASE in line)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        decrypt_file(keys.keystore, enc, tmp_path / "out" / "big", key=OWNER,
                     passphrase=PASSPHRASE)
    finally:
        done.set()
        watcher.join()
    # The recipients listing (--list-only) runs gpg without any passphrase at all.
    gpg_lines = [line for line in seen if "--decrypt" in line and "--list-only" not in line]
    assert gpg_lines, "the decrypting gpg process was never seen in ps"
    assert all("--passphrase-fd" in line for line in gpg_lines)
    assert not [line for line in seen if PASSPHRASE in line]


def test_memory_stays_flat_on_a_large_file(keys: Keys, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(64 * 1024 * 1024))
    enc = gpg_encrypt(keys.keystore, big, tmp_path / "big.pgp", recipient=PLAIN_OWNER,
                      compress="none")
    big.unlink()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    got = decrypt_file(keys.keystore, enc, tmp_path / "out" / "big", key=PLAIN_OWNER,
                       passphrase=None)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert got.bytes == 64 * 1024 * 1024
    assert grown_mb < 24, f"peak memory grew by {grown_mb:.0f} MB for a 64 MB file"


def test_signature_by_a_trusted_signer(keys: Keys, plain: Path, tmp_path: Path) -> None:
    enc = gpg_encrypt(keys.keystore, plain, tmp_path / "s.pgp", recipient=OWNER,
                      sign_with=PLAIN_OWNER, passphrase="")
    got = decrypt_file(keys.keystore, enc, tmp_path / "out" / "s", key=OWNER,
                       passphrase=PASSPHRASE, trusted_signers=[keys.plain])
    assert got.signer == keys.plain and got.sha256 == hashlib.sha256(CSV).hexdigest()


@pytest.mark.parametrize("case", ["unsigned", "untrusted", "unknown_signer"])
def test_required_signature_failures(keys: Keys, plain: Path, tmp_path: Path, case: str,
                                     fresh_home: Path) -> None:
    sign = {"unsigned": None, "untrusted": OWNER, "unknown_signer": PLAIN_OWNER}[case]
    enc = gpg_encrypt(keys.keystore, plain, tmp_path / "s.pgp", recipient=OWNER,
                      sign_with=sign, passphrase=PASSPHRASE if sign == OWNER else "")
    keystore = keys.keystore
    if case == "unknown_signer":  # a keystore holding our secret key but not the signer's
        from pvt_dagster.decrypt import Keystore
        keystore = Keystore(fresh_home)
        exported = subprocess.run(
            ["gpg", "--homedir", str(keys.keystore.gnupghome), "--batch", "--pinentry-mode",
             "loopback", "--passphrase-fd", "0", "--export-secret-keys", OWNER],
            input=PASSPHRASE.encode(), capture_output=True, check=True).stdout
        keystore.import_key_data(exported)
    expected = {"unsigned": "is not signed", "untrusted": "not one of the feed's trusted",
                "unknown_signer": "public key is not in the keystore"}[case]
    with pytest.raises(SignatureError, match=expected):
        decrypt_file(keystore, enc, tmp_path / "out" / "s", key=OWNER,
                     passphrase=PASSPHRASE, trusted_signers=[keys.plain])
    assert leftovers(tmp_path / "out") == []


def test_bad_signature_is_classified() -> None:
    # A bad signature inside an encrypted message cannot be forged with gpg (the integrity
    # check fails first), so the status lines gpg emits for one are checked directly.
    statuses = {"DECRYPTION_OKAY": [""], "BADSIG": ["ABCDEF0123456789 Someone <s@x>"]}
    assert succeeded(statuses, 1)
    with pytest.raises(SignatureError, match="BAD signature"):
        check_signature(Path("f.pgp"), statuses, ["A" * 40])
    assert not succeeded({"DECRYPTION_OKAY": [""], "BADMDC": [""]}, 2)
    assert not succeeded({"DECRYPTION_OKAY": [""]}, 2)


def test_expired_key_still_decrypts_and_says_so(keys: Keys, plain: Path, tmp_path: Path,
                                                fresh_home: Path) -> None:
    from pvt_dagster.decrypt import Keystore
    keystore = Keystore(fresh_home)
    fpr = expired_key_with_file(keystore, "old@acme.example", plain, tmp_path / "old.pgp")
    got = decrypt_file(keystore, tmp_path / "old.pgp", tmp_path / "out" / "old",
                       key="old@acme.example", passphrase=None)
    assert got.key_fingerprint == fpr and got.key_expired is not None
    assert (tmp_path / "out" / "old").read_bytes() == CSV


def test_compression_bomb_stops_at_the_byte_limit(keys: Keys, tmp_path: Path) -> None:
    zeros = tmp_path / "zeros"
    zeros.write_bytes(bytes(40 * 1024 * 1024))
    bomb = gpg_encrypt(keys.keystore, zeros, tmp_path / "bomb.pgp", recipient=PLAIN_OWNER,
                       compress="bzip2")
    assert bomb.stat().st_size < 2_000  # bzip2 makes 40 MB of zeros a few hundred bytes
    out = tmp_path / "out"
    with pytest.raises(DecompressionLimitError, match="max_output_bytes") as info:
        decrypt_file(keys.keystore, bomb, out / "x", key=PLAIN_OWNER, passphrase=None,
                     limits=Limits(max_output_bytes=1_000_000, max_ratio=1e9))
    assert "compression bomb" in str(info.value)
    assert leftovers(out) == []
    with pytest.raises(DecompressionLimitError, match="max_ratio 100"):
        decrypt_file(keys.keystore, bomb, out / "x", key=PLAIN_OWNER, passphrase=None,
                     limits=Limits(max_output_bytes=10**12, max_ratio=100))
    assert leftovers(out) == []
    got = decrypt_file(keys.keystore, bomb, out / "x", key=PLAIN_OWNER, passphrase=None,
                       limits=Limits(max_output_bytes=10**9, max_ratio=1e6))
    assert got.bytes == 40 * 1024 * 1024


@pytest.mark.parametrize("through", ["file_size_cap", "pipe"])
def test_both_ways_of_taking_the_plaintext(keys: Keys, plain: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch, through: str) -> None:
    """gpg writing the file under prlimit's cap, and the pipe we read where prlimit is missing:
    the same bytes and sha256, and a bomb stopped with nothing kept."""
    from pvt_dagster.decrypt import gpgstream

    if through == "pipe":
        monkeypatch.setattr(gpgstream, "PRLIMIT", None)
    else:
        assert gpgstream.PRLIMIT is not None, "util-linux's prlimit is missing"
    enc = gpg_encrypt(keys.keystore, plain, tmp_path / "m.pgp", recipient=PLAIN_OWNER)
    got = decrypt_file(keys.keystore, enc, tmp_path / "out" / "m.csv", key=PLAIN_OWNER,
                       passphrase=None)
    assert (tmp_path / "out" / "m.csv").read_bytes() == CSV
    assert (got.bytes, got.sha256) == (len(CSV), hashlib.sha256(CSV).hexdigest())
    zeros = tmp_path / "zeros"
    zeros.write_bytes(bytes(8 * 1024 * 1024))
    bomb = gpg_encrypt(keys.keystore, zeros, tmp_path / "bomb.pgp", recipient=PLAIN_OWNER,
                       compress="zlib")
    out = tmp_path / "bomb_out"
    with pytest.raises(DecompressionLimitError, match="max_output_bytes"):
        decrypt_file(keys.keystore, bomb, out / "x", key=PLAIN_OWNER, passphrase=None,
                     limits=Limits(max_output_bytes=len(CSV), max_ratio=1e9))
    assert leftovers(out) == []
    exact = decrypt_file(keys.keystore, enc, out / "exact.csv", key=PLAIN_OWNER,
                         passphrase=None, limits=Limits(max_output_bytes=len(CSV),
                                                        max_ratio=1e9))
    assert exact.bytes == len(CSV)  # a file exactly at the limit is kept


def test_limit_settings() -> None:
    assert Limits(10**9, 100).for_input(10)[0] == 16 * 1024 * 1024  # ratio floor
    assert Limits(10**9, 100).for_input(1_000_000) == (100_000_000, "max_ratio 100 "
                                                       "(100000000 bytes for 1000000)")
    assert Limits(5_000, 100).for_input(1_000_000)[1] == "max_output_bytes (5000)"
