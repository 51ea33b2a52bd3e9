"""Writing a job's output: a typed Parquet copy (what downstream jobs read) and the CSV of its
target folder (what people and other tools read). Each is written to a temporary file in the
same folder and renamed into place, so a reader never sees half an output."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pvt_dagster.errors import ProcessingError
from pvt_dagster.fsutil import FILE_MODE, private_temp_beside


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table; object columns of mixed types become text."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        fixed = frame.copy()
        for name in fixed.columns:
            if fixed[name].dtype == object:
                fixed[name] = fixed[name].map(lambda v: v if v is None or v != v else str(v))
        try:
            return pa.Table.from_pandas(fixed, preserve_index=False)
        except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
            raise ProcessingError(f"the output cannot be stored ({type(exc).__name__}); "
                                  "return plain numbers, text, booleans or times") from exc


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """A private temporary path beside ``path``, renamed to it when the block succeeds."""
    fd, tmp = private_temp_beside(path)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _write(path: Path, table: pa.Table, writer: Callable[[pa.Table, Path], None]) -> None:
    try:
        with _atomic(path) as tmp:
            writer(table, tmp)
    except OSError as exc:
        raise ProcessingError(f"cannot write {path}: {exc.strerror}") from exc
    except pa.ArrowException as exc:
        raise ProcessingError(f"cannot write {path.name} ({type(exc).__name__})") from exc


def write_parquet(table: pa.Table, path: Path) -> None:
    """The typed copy downstream jobs read."""
    _write(path, table, lambda t, p: pq.write_table(t, p))


def write_csv(table: pa.Table, path: Path) -> None:
    """A UTF-8 CSV with a header; nulls are empty cells, text quoted only where needed."""
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    _write(path, table, lambda t, p: pacsv.write_csv(t, p, write_options=options))
