"""Running ``gpg --decrypt`` ourselves: the ciphertext goes to gpg's stdin straight from the file,
the plaintext comes back on a pipe that we read in chunks (hashed, counted and written to the
output file as it arrives), the passphrase goes in on its own pipe (``--passphrase-fd``, never
on a command line) and gpg's machine-readable status lines come back on another.

Counting the plaintext while it streams is what lets a decompression limit stop a "zip bomb":
past the limit gpg is killed at once and nothing is kept.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pvt_dagster.errors import DecryptError

CHUNK = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # ask Linux for a 1 MiB pipe: fewer wake-ups per megabyte
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
MAX_PASSPHRASE = 4096  # a pipe holds at least this much, so writing it first never blocks


@dataclass
class GpgRun:
    """What one gpg run produced: status lines by keyword, plaintext size and sha256."""

    statuses: dict[str, list[str]] = field(default_factory=dict)
    bytes: int = 0
    sha256: str = ""
    returncode: int | None = None
    stopped_at_limit: bool = False

    def has(self, keyword: str) -> bool:
        """Whether gpg emitted ``[GNUPG:] keyword``."""
        return keyword in self.statuses


def parse_statuses(lines: list[str]) -> dict[str, list[str]]:
    """gpg's ``[GNUPG:] KEYWORD args`` lines by keyword."""
    found: dict[str, list[str]] = {}
    for line in lines:
        if line.startswith("[GNUPG:] "):
            keyword, _, args = line[9:].strip().partition(" ")
            found.setdefault(keyword, []).append(args)
    return found


def _drain(stream: IO[bytes], sink: deque[str]) -> None:
    """Read a small text stream (status or stderr) to its end, keeping the last lines."""
    with contextlib.suppress(OSError, ValueError):
        for raw in stream:
            sink.append(raw.decode("utf-8", "replace").rstrip("\r\n"))


def _widen(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_BYTES)


def _passphrase_pipe(passphrase: str | None) -> int:
    """A pipe's read end holding the passphrase and a newline (empty when there is none)."""
    data = (passphrase or "").encode("utf-8") + b"\n"
    if len(data) > MAX_PASSPHRASE:
        raise DecryptError("the passphrase is longer than 4 KiB")
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)
    finally:
        os.close(write_end)
    return read_end


def gpg_decrypt_stream(gpg_binary: str, gnupghome: Path, src: Path, out: IO[bytes], *,
                       passphrase: str | None, limit: int) -> GpgRun:
    """Decrypt ``src`` into the open binary file ``out``; stop (and kill gpg) past ``limit``
    plaintext bytes. The caller owns ``out`` and discards it unless the run succeeded."""
    pass_fd = _passphrase_pipe(passphrase)
    status_r, status_w = os.pipe()
    args = [gpg_binary, "--homedir", str(gnupghome), "--batch", "--no-tty", "--yes",
            "--pinentry-mode", "loopback", "--passphrase-fd", str(pass_fd),
            "--status-fd", str(status_w), "--no-auto-key-retrieve", "--trust-model", "always",
            "--output", "-", "--decrypt"]
    try:
        with open(src, "rb") as fin:
            proc = subprocess.Popen(args, stdin=fin, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, pass_fds=(pass_fd, status_w),
                                    close_fds=True)
    except OSError as exc:
        raise DecryptError(f"cannot run gpg on {src.name}: {exc.strerror or exc}") from exc
    finally:
        os.close(pass_fd)
        os.close(status_w)
    status_lines: deque[str] = deque(maxlen=2000)
    stderr_lines: deque[str] = deque(maxlen=50)
    status_stream = os.fdopen(status_r, "rb")
    readers = [threading.Thread(target=_drain, args=(status_stream, status_lines), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, stderr_lines), daemon=True)]
    for reader in readers:
        reader.start()
    run = GpgRun()
    digest = hashlib.sha256()
    assert proc.stdout is not None
    stdout_fd = proc.stdout.fileno()
    _widen(stdout_fd)
    try:
        while chunk := os.read(stdout_fd, CHUNK):
            run.bytes += len(chunk)
            if run.bytes > limit:
                run.stopped_at_limit = True
                proc.kill()
                break
            digest.update(chunk)
            out.write(chunk)
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        run.returncode = proc.wait()
        for reader in readers:
            reader.join(timeout=10)
        status_stream.close()
    run.sha256 = digest.hexdigest()
    run.statuses = parse_statuses(list(status_lines))
    return run
