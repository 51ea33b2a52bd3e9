"""The keystore's gpg-agent, shared by every process that uses the keystore.

Every gpg run that needs the agent (listing secret keys, decrypting) holds a shared lock on
``<home>/.pvt-agent.lock``; stopping the agent takes that lock exclusively and is skipped while
anyone holds it. Without this, a Dagster step process that ended (its ``atexit`` stops the
agent) killed the agent under a decryption running in another process, and that good file
failed with "gpg could not unlock the session key (error code 262)" (Incomplete line passed to
IPC), "End of file" or NO_SECKEY, depending on the moment.

What can still go wrong between the agent and gpg (an agent starting or stopping in another
way) is transient: ``is_transient`` tells it from gpg's status lines, and decryption retries it
a few times with backoff before it gives up.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pvt_dagster.fsutil import open_private

log = logging.getLogger(__name__)

LOCK_NAME = ".pvt-agent.lock"
ATTEMPTS = 5
BACKOFF_SECONDS = 0.5  # 0.5, 1, 2, 4 s between the attempts
# gpg-error codes of a failed conversation with the agent: timeout, no agent, agent error,
# Assuan faults, server failure, the IPC (Assuan) errors 257-281, EOF, and the socket errors
# (connection aborted, refused, reset; interrupted call; broken pipe; timed out).
_AGENT_CODES = frozenset({62, 77, 78, 80, 81, 219, *range(257, 282), 16383, 32792, 32793,
                          32794, 32815, 32877, 32889, 32900})


@contextlib.contextmanager
def agent_in_use(gnupghome: Path) -> Iterator[None]:
    """Hold the keystore's agent lock shared while gpg talks to the agent."""
    with _locked(gnupghome, fcntl.LOCK_SH) as held:
        assert held
        yield


@contextlib.contextmanager
def _locked(gnupghome: Path, how: int) -> Iterator[bool]:
    """The agent lock taken ``how`` (LOCK_SH, LOCK_EX, optionally | LOCK_NB); whether held."""
    fd = open_private(Path(gnupghome) / LOCK_NAME)
    try:
        try:
            fcntl.flock(fd, how)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def stop_agent_of(gnupghome: Path, *, wait: bool = False) -> bool:
    """Stop the gpg-agent of one GnuPG home (``gpgconf --kill gpg-agent``), unless a gpg run
    of this or another process is using it (then it is left running, and whoever ends last
    stops it); with ``wait``, wait for those runs instead. Whether it was stopped."""
    if not Path(gnupghome).is_dir():
        return False
    try:
        with _locked(gnupghome, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB) as held:
            if not held:
                log.debug("gpg-agent of %s is in use; not stopped", gnupghome)
                return False
            subprocess.run(["gpgconf", "--homedir", str(gnupghome), "--kill", "gpg-agent"],
                           capture_output=True, timeout=30, check=False)
            return True
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not stop gpg-agent of %s: %s", gnupghome, exc)
        return False


def error_codes(statuses: dict[str, list[str]]) -> set[int]:
    """The gpg-error codes (low 16 bits) of every ``ERROR <where> <code>`` status line."""
    codes = set()
    for args in statuses.get("ERROR", []):
        parts = args.split()
        if len(parts) >= 2 and parts[1].isdigit():
            codes.add(int(parts[1]) & 0xFFFF)
    return codes


def is_transient(statuses: dict[str, list[str]], own_ids: list[str]) -> bool:
    """Whether a failed run failed because gpg could not talk to its agent: an agent or IPC
    error code, or gpg saying it has no secret key for the feed's key, which the keystore
    just listed as secret (the agent was not there to ask)."""
    if error_codes(statuses) & _AGENT_CODES:
        return True
    for args in statuses.get("NO_SECKEY", []):
        key_id = args.split()[0].upper() if args.split() else ""
        if key_id and any(f.upper().endswith(key_id) for f in own_ids):
            return True
    return False


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt`` (2, 3, ...)."""
    return float(BACKOFF_SECONDS * 2 ** (attempt - 2))
