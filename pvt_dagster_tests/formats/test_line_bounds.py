"""The readers' memory is bounded by bytes, not rows: a huge file with no line break, or one
enormous line, is a clear ParseError (``max_line_bytes``, 1 MiB unless configured), and the
reading process never holds anything near the file's size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pvt_dagster.config.models import CsvFormat, FixedWidthFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import read_chunks

MB = 1024 * 1024

# Reads a file with every reader in a fresh process; prints the error and the peak RSS growth.
PROBE = """
import json, resource, sys
from pvt_dagster.config.models import CsvFormat, FixedWidthFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import read_chunks
path = sys.argv[1]
fixed = FixedWidthFormat(type="fixed_width", columns=[{"name": "a", "start": 1, "width": 9}])
formats = [CsvFormat(), CsvFormat(delimiter="¦"), fixed]  # fast, strict, fixed width
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
errors = []
for fmt in formats:
    try:
        for _ in read_chunks(path, fmt):
            pass
    except ParseError as exc:
        errors.append(str(exc))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"errors": errors, "grew_kib": after - before}))
"""


def test_a_huge_file_without_line_breaks_is_a_clear_error_at_bounded_memory(
        tmp_path: Path) -> None:
    path = tmp_path / "no_newline.csv"
    with path.open("wb") as out:
        out.write(b"ssn,phone\n")
        block = b"1234567890" * (MB // 10)
        for _ in range(80):  # 80 MB on line 2, never a newline
            out.write(block)
    probe = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                           text=True, timeout=300, check=True)
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["errors"][0] == (f"line 2: the line is longer than {MB} bytes "
                                   "(max_line_bytes); a file without line breaks, or one "
                                   "enormous field?")
    assert len(result["errors"]) == 3
    assert all("longer than" in error and "max_line_bytes" in error
               for error in result["errors"])
    assert result["grew_kib"] < 24 * 1024  # far below the 80 MB of the file


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_max_line_bytes_is_configurable_and_names_the_line(tmp_path: Path,
                                                           encoding: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(("a,b\n1,2\n3," + "x" * 300 + "\n5,6\n").encode(encoding))
    fmt = CsvFormat(encoding=encoding, max_line_bytes="256")  # type: ignore[arg-type]
    with pytest.raises(ParseError, match=r"^line 3: the line is longer than 256 bytes"):
        list(read_chunks(path, fmt))
    assert sum(len(c) for c in read_chunks(path, CsvFormat(encoding=encoding))) == 3


def test_a_long_line_in_a_fixed_width_file(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("abc\n" + "y" * 5000 + "\n")
    fmt = FixedWidthFormat(type="fixed_width", max_line_bytes="4KiB",  # type: ignore[arg-type]
                           columns=[{"name": "a", "start": 1, "width": 3}])  # type: ignore[list-item]
    with pytest.raises(ParseError, match=r"^line 2: the line is longer than 4096 bytes"):
        list(read_chunks(path, fmt))


def test_blocks_end_by_bytes_not_only_rows(tmp_path: Path) -> None:
    """Lines just under the limit, many of them: read in blocks of bytes, every row intact."""
    path = tmp_path / "wide.csv"
    value = "v" * (512 * 1024)
    path.write_text("id,big\n" + "".join(f"{n},{value}\n" for n in range(70)))
    csv_fmt = CsvFormat()
    import csv

    old = csv.field_size_limit(MB)
    try:
        chunks = list(read_chunks(path, csv_fmt, chunk_rows=100_000))
    finally:
        csv.field_size_limit(old)
    assert sum(len(c) for c in chunks) == 70
    assert list(chunks[-1]["id"])[-1] == "69"
