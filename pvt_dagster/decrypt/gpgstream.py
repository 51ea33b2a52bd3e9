"""Running ``gpg --decrypt`` ourselves: the ciphertext goes to gpg's stdin straight from the file,
the passphrase goes in on its own pipe (``--passphrase-fd``, never on a command line) and gpg's
machine-readable status lines come back on another.

The plaintext goes straight from gpg into the output file, under a kernel file-size limit set by
util-linux's ``prlimit`` before gpg starts (``RLIMIT_FSIZE``): a "zip bomb" stops at the limit's
byte, gpg is killed by the kernel (SIGXFSZ), and nothing is kept. A thread hashes the file as it
grows (from the page cache, on the other core). This costs gpg's own time plus one sha256 pass,
where reading the plaintext through a pipe cost two more copies and a wake-up per chunk. Without
``prlimit`` the plaintext comes back on a pipe, counted, hashed and written as it arrives, with
gpg killed past the limit.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pvt_dagster.errors import DecryptError
from pvt_dagster.fsutil import start_writeback

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # ask Linux for a 1 MiB pipe: fewer wake-ups per megabyte
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
MAX_PASSPHRASE = 4096  # a pipe holds at least this much, so writing it first never blocks
PRLIMIT = shutil.which("prlimit")  # util-linux: Essential on Debian, present on every distro



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


def gpg_decrypt_stream(gpg_binary: str, gnupghome: Path, src: Path, dst: Path, *,
                       passphrase: str | None, limit: int,
                       while_running: Callable[[], None] | None = None) -> GpgRun:
    """Decrypt ``src`` into the file ``dst`` (created 0600 by the caller, emptied here); stop
    (and kill gpg) past ``limit`` plaintext bytes. The caller discards ``dst`` unless the run
    succeeded; a kept ``dst`` is fsynced. ``while_running`` is called once gpg has started,
    for work of the caller's that can overlap it (its errors are logged, not raised)."""
    pass_fd = _passphrase_pipe(passphrase)
    status_r, status_w = os.pipe()
    args = [gpg_binary, "--homedir", str(gnupghome), "--batch", "--no-tty", "--yes",
            "--pinentry-mode", "loopback", "--passphrase-fd", str(pass_fd),
            "--status-fd", str(status_w), "--no-auto-key-retrieve", "--trust-model", "always",
            "--output", "-", "--decrypt"]
    direct = PRLIMIT is not None
    if direct:  # the cap is set before gpg's first instruction: a bomb never passes it
        args = [str(PRLIMIT), f"--fsize={limit + 1}:", "--", *args]  # soft limit only
    try:
        with open(src, "rb") as fin, open(dst, "wb") as out:
            proc = subprocess.Popen(args, stdin=fin,
                                    stdout=out if direct else subprocess.PIPE,
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
    try:
        if while_running is not None:
            _overlap(while_running)
        run = _written_by_gpg(proc, dst, limit) if direct else _read_from_pipe(proc, dst, limit)
    finally:
        for reader in readers:
            reader.join(timeout=10)
        status_stream.close()
    run.statuses = parse_statuses(list(status_lines))
    return run


def _overlap(work: Callable[[], None]) -> None:
    """Run the caller's work while gpg runs; a failure of it is not the decryption's."""
    try:
        work()
    except Exception:
        log.warning("work done while gpg decrypted failed", exc_info=True)


def _written_by_gpg(proc: subprocess.Popen[bytes], dst: Path, limit: int) -> GpgRun:
    """Wait for gpg (writing ``dst`` itself under the file-size cap) while a thread hashes
    ``dst`` as it grows (sha256 releases the GIL: it runs beside gpg on another core)."""
    written = _GrowingFileHash(dst)
    hasher = threading.Thread(target=written.follow, daemon=True)
    hasher.start()
    try:
        returncode = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        written.writer_done.set()
        hasher.join()
    run = GpgRun(returncode=returncode, bytes=os.stat(dst).st_size)
    if run.bytes > limit or returncode == -signal.SIGXFSZ:
        run.stopped_at_limit = True
        return run
    if written.error is not None:
        raise DecryptError(f"cannot read back {dst.name}: {written.error}")
    run.sha256 = written.digest.hexdigest()
    with open(dst, "rb") as kept:
        os.fsync(kept.fileno())
    return run


class _GrowingFileHash:
    """Hashes a file another process is writing, until told the writer is done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.digest = hashlib.sha256()
        self.writer_done = threading.Event()
        self.error: str | None = None

    def follow(self) -> None:
        """Read and hash what has been written so far; after the writer is done, to the end."""
        try:
            with open(self.path, "rb") as fh:
                while True:
                    done = self.writer_done.is_set()  # read before looking: nothing is missed
                    chunk = fh.read(CHUNK)
                    if chunk:
                        self.digest.update(chunk)
                        start_writeback(fh.fileno(), fh.tell() - len(chunk), len(chunk))
                    elif done:
                        return
                    else:
                        self.writer_done.wait(0.01)
        except OSError as exc:
            self.error = exc.strerror or str(exc)


def _read_from_pipe(proc: subprocess.Popen[bytes], dst: Path, limit: int) -> GpgRun:
    """Read gpg's plaintext from its stdout pipe in chunks: counted, hashed, written to
    ``dst``; gpg is killed past ``limit``."""
    run = GpgRun()
    digest = hashlib.sha256()
    assert proc.stdout is not None
    stdout_fd = proc.stdout.fileno()
    _widen(stdout_fd)
    try:
        with open(dst, "wb") as out:
            while chunk := os.read(stdout_fd, CHUNK):
                run.bytes += len(chunk)
                if run.bytes > limit:
                    run.stopped_at_limit = True
                    proc.kill()
                    break
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        proc.kill()
        raise
    finally:
        proc.stdout.close()
        run.returncode = proc.wait()
    run.sha256 = digest.hexdigest()
    return run
