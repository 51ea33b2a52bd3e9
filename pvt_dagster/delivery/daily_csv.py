"""The daily CSV target: ``<dir>/<feed>_<YYYY-MM-DD>.csv``, one header, a last ``_pvt_key`` column.

A delivery rewrites the day's file through a temporary file and ``os.replace`` under an
exclusive lock, streaming row by row: rows of other files are kept in order, rows of this file
are replaced (so a rerun never doubles them) and appended at the end.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pvt_dagster.delivery.scrubbed import data_rows, read_header
from pvt_dagster.errors import DeliveryError
from pvt_dagster.fsutil import ensure_private_dir, open_private

KEY_COLUMN = "_pvt_key"
WriteRow = Callable[[list[str]], object]
csv.field_size_limit(16 * 1024 * 1024)


@dataclass(frozen=True)
class Delivered:
    """The outcome of one delivery: target path, rows and bytes of this file, time taken."""

    path: Path
    rows: int
    bytes: int  # encoded size of this file's rows in the target (header excluded)
    seconds: float


class _Counter:
    """A text sink that counts the UTF-8 bytes of what is written through it."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        """Count ``text``'s UTF-8 bytes."""
        self.bytes += len(text.encode("utf-8"))
        return len(text)


def target_path(target_dir: Path, feed: str, day: date) -> Path:
    """``<target_dir>/<feed>_<YYYY-MM-DD>.csv``."""
    if not feed or "/" in feed or feed.startswith("."):
        raise DeliveryError(f"feed name {feed!r} cannot be used in a file name")
    return Path(target_dir) / f"{feed}_{day.isoformat()}.csv"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive fcntl lock on ``<path>.lock`` for the duration of the block."""
    lock_path = path.with_name(f".{path.name}.lock")
    fd = open_private(lock_path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_source_header(src: Path) -> list[str]:
    return read_header(src, reserved=(KEY_COLUMN,))


def deliver_daily_csv(src: Path, *, target_dir: Path, feed: str, day: date,
                      file_key: str) -> Delivered:
    """Put ``src``'s rows, tagged with ``file_key``, into the feed's CSV for ``day``."""
    started = time.monotonic()
    target = target_path(target_dir, feed, day)
    try:
        header = [*_read_source_header(src), KEY_COLUMN]
        ensure_private_dir(Path(target_dir))
        with _locked(target):
            rows, size = _rewrite(src, target, header, file_key)
    except DeliveryError:
        raise
    except UnicodeDecodeError as exc:
        raise DeliveryError(f"{target.name}: data is not valid UTF-8 (byte {exc.start})") from exc
    except csv.Error as exc:
        raise DeliveryError(f"{target.name}: malformed CSV: {exc}") from exc
    except OSError as exc:
        raise DeliveryError(f"cannot write {target}: {exc.strerror}") from exc
    return Delivered(path=target, rows=rows, bytes=size, seconds=time.monotonic() - started)


def _rewrite(src: Path, target: Path, header: list[str], file_key: str) -> tuple[int, int]:
    """Write the new day file through a temp file; this file's rows and their bytes."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
                _copy_other_rows(target, writer.writerow, header, file_key)
            rows, size = _append_rows(src, writer.writerow, header, file_key)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return rows, size


def _copy_other_rows(target: Path, write_row: WriteRow, header: list[str],
                     file_key: str) -> None:
    """Copy the target's rows of other files; DeliveryError if its header differs."""
    with open(target, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        existing = next(reader, None)
        if existing is not None and existing != header:
            missing = [c for c in header if c not in existing]
            extra = [c for c in existing if c not in header]
            detail = (f"missing {missing}, unexpected {extra}" if missing or extra
                      else "same columns in another order")
            raise DeliveryError(
                f"{target.name} has a different header than this file ({detail}); "
                "move it aside or deliver to another folder")
        for row in reader:
            if row and row[-1] != file_key:
                write_row(row)


def _append_rows(src: Path, write_row: WriteRow, header: list[str],
                 file_key: str) -> tuple[int, int]:
    """Append ``src``'s data rows with ``file_key``; the count and their encoded bytes."""
    counter = _Counter()
    sizer = csv.writer(counter, lineterminator="\n")
    width = len(header) - 1
    rows = 0
    for row in data_rows(src, width):
        tagged = [*row, file_key]
        write_row(tagged)
        sizer.writerow(tagged)
        rows += 1
    return rows, counter.bytes
