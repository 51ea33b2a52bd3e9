"""Decryption is deterministic under concurrency: many gpg runs on one keystore at once (good,
passphrase-only, corrupt and wrong-key files, in threads) while other processes end and stop
the shared gpg-agent, as Dagster step processes do at exit. Every good file decrypts, every
bad file fails with its own error, on every round.

Before the agent lock, a process that ended killed the agent under another's decryption, and a
good file failed with "gpg could not unlock the session key (error code 262)" (Incomplete line
passed to IPC), "End of file", or "not held in the keystore", depending on the moment."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pvt_dagster.decrypt import decrypt_file
from pvt_dagster.decrypt.agent import is_transient, stop_agent_of
from pvt_dagster.errors import CorruptDataError, PvtError, WrongKeyError
from pvt_dagster_tests.decrypt.conftest import OWNER, PASSPHRASE, PLAIN_OWNER, Keys
from pvt_dagster_tests.support.gpgtools import gpg_encrypt, gpg_symmetric

CSV = b"id,amount\n" + b"".join(b"%d,%d\n" % (i, i * 7) for i in range(3000))
EXIT_AND_STOP = "import sys; from pvt_dagster.decrypt import Keystore; Keystore(sys.argv[1])"


def _catalogue(keys: Keys, folder: Path) -> list[tuple[Path, str, str | None]]:
    """(file, key the feed uses, expected error class or None) for a mixed catalogue."""
    src = folder / "plain.csv"
    src.write_bytes(CSV)
    files: list[tuple[Path, str, str | None]] = []
    for i in range(6):
        files.append((gpg_encrypt(keys.keystore, src, folder / f"good{i}.pgp", recipient=OWNER,
                                  armor=i % 2 == 1), OWNER, None))
    for i in range(2):
        files.append((gpg_encrypt(keys.keystore, src, folder / f"plain{i}.pgp",
                                  recipient=PLAIN_OWNER), PLAIN_OWNER, None))
        files.append((gpg_symmetric(keys.keystore, src, folder / f"sym{i}.pgp",
                                    passphrase=PASSPHRASE if i % 2 else "another one"),
                      OWNER, WrongKeyError.__name__))
        files.append((folder / f"plain{i}.pgp", OWNER, WrongKeyError.__name__))
        data = (folder / f"good{i}.pgp").read_bytes()
        corrupt = folder / f"corrupt{i}.pgp"
        corrupt.write_bytes(data[:len(data) // 2])
        files.append((corrupt, OWNER, CorruptDataError.__name__))
    return files


def _decrypt(keys: Keys, item: tuple[Path, str, str | None], out: Path) -> str:
    path, key, _ = item
    try:
        got = decrypt_file(keys.keystore, path, out / path.name, key=key,
                           passphrase=PASSPHRASE if key == OWNER else None)
    except PvtError as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok" if got.sha256 == hashlib.sha256(CSV).hexdigest() else "wrong bytes"


def _stop_until(home: Path, done: threading.Event) -> None:
    """Stop the agent over and over (other processes ending, as Dagster steps do)."""
    while not done.is_set():
        stop_agent_of(home)
        time.sleep(0.02)


def test_concurrent_mixed_decrypts_while_agents_are_stopped(keys: Keys, tmp_path: Path) -> None:
    files = _catalogue(keys, tmp_path)
    home = keys.keystore.gnupghome
    for round_no in range(2):
        out = tmp_path / f"out{round_no}"
        done = threading.Event()
        killer = threading.Thread(target=_stop_until, args=(home, done))
        killer.start()
        exiting = subprocess.Popen([sys.executable, "-c", EXIT_AND_STOP, str(home)])
        try:
            with ThreadPoolExecutor(6) as pool:
                results = list(pool.map(_decrypt, [keys] * len(files) * 2, files * 2,
                                        [out] * len(files) * 2))
        finally:
            done.set()
            killer.join()
            exiting.wait(timeout=60)
        for (path, _, expected), result in zip(files * 2, results, strict=True):
            if expected is None:
                assert result == "ok", f"round {round_no}: {path.name}: {result}"
            else:
                assert result.startswith(expected + ":"), f"{path.name}: {result}"


@pytest.mark.slow
def test_agent_killed_under_running_decrypts_is_retried(keys: Keys, tmp_path: Path) -> None:
    """The agent killed outright (no lock: a crash, an operator's gpgconf --kill) while
    decryptions run: the failed runs are retried with backoff and every good file decrypts."""
    files = [f for f in _catalogue(keys, tmp_path) if f[2] is None]
    home = keys.keystore.gnupghome
    done = threading.Event()

    def crash() -> None:
        for _ in range(3):
            if done.wait(0.5):
                return
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                           capture_output=True, check=False, timeout=30)

    killer = threading.Thread(target=crash)
    killer.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda item: _decrypt(keys, item, tmp_path / "out"),
                                    files * 3))
    finally:
        done.set()
        killer.join()
    assert results == ["ok"] * len(results)


def test_agent_troubles_are_told_from_decryption_errors() -> None:
    own = ["AAAA1111BBBB2222CCCC3333DDDD4444EEEE5555", "0123456789ABCDEF0123456789ABCDEF01234567"]
    assert is_transient({"ERROR": ["pkdecrypt_failed 67109126"]}, own)  # 262, IPC
    assert is_transient({"ERROR": ["pkdecrypt_failed 33570815"]}, own)  # 16383, EOF
    assert is_transient({"NO_SECKEY": ["89ABCDEF01234567"]}, own)  # our own key, unanswered
    assert not is_transient({"NO_SECKEY": ["1111222233334444"]}, own)  # another key
    assert not is_transient({"ERROR": ["pkdecrypt_failed 67108875"]}, own)  # 11, passphrase
    assert not is_transient({"DECRYPTION_FAILED": [""]}, own)
