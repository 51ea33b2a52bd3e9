"""Reading a job's inputs into DataFrames: delivered rows (a feed's scrubbed CSV) and folder
files as text (every column a string, empty cells null: nothing is guessed, so leading zeros
stay), and other jobs' outputs from their typed Parquet copies. Errors never quote a row."""

from __future__ import annotations

import csv
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pvt_dagster.errors import ProcessingError

_ROW_PROBLEM = re.compile(r"((?:Row #\d+: )?Expected \d+ columns, got \d+)")


def read_text_csv(path: Path, *, label: str) -> pd.DataFrame:
    """A UTF-8 CSV with a header as text columns (``label`` names the input in errors)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except OSError as exc:
        raise ProcessingError(f"input {label}: cannot read {path.name}: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ProcessingError(f"input {label}: {path.name} has no readable CSV header "
                              f"({type(exc).__name__})") from exc
    if not header:
        raise ProcessingError(f"input {label}: {path.name} is empty (no header row)")
    if len(set(header)) != len(header):
        raise ProcessingError(f"input {label}: {path.name} has duplicate column names")
    convert = pacsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                   strings_can_be_null=True, quoted_strings_can_be_null=True,
                                   null_values=[""])
    try:
        table = pacsv.read_csv(path, convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        found = _ROW_PROBLEM.search(str(exc))
        detail = found.group(1) if found else type(exc).__name__
        raise ProcessingError(f"input {label}: {path.name} is not valid CSV ({detail})") from exc
    return table.to_pandas()


def read_output(path: Path, *, label: str) -> pd.DataFrame:
    """Another job's output, with the dtypes it was written with."""
    try:
        return pq.read_table(path).to_pandas()
    except (OSError, pa.ArrowException) as exc:
        raise ProcessingError(f"input {label}: the output {path.name} cannot be read "
                              f"({type(exc).__name__}); run that job again") from exc


@dataclass(frozen=True)
class FolderFile:
    """One regular file of a folder input: its path, size and modification time."""

    path: Path
    size: int
    mtime_ns: int


def list_folder(folder: Path, pattern: str) -> list[FolderFile]:
    """Regular files directly in ``folder`` whose names match ``pattern`` (symlinks and
    hidden files are never read), by name; an absent folder has none."""
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ProcessingError(f"folder {folder} cannot be listed: {exc.strerror}") from exc
    found = []
    for entry in entries:
        if entry.name.startswith(".") or not fnmatch.fnmatchcase(entry.name, pattern):
            continue
        if entry.is_symlink() or not entry.is_file():
            continue
        stat = entry.stat()
        found.append(FolderFile(entry, stat.st_size, stat.st_mtime_ns))
    return found
