"""The C-speed CSV path gives exactly what the strict csv-module reader gives: the same rows,
row numbers and chunk sizes, and the same ParseError (line and reason), on random files mixing
plain and quoted blocks, blank lines, CRLF, multi-line fields and malformed records."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pvt_dagster.config.models import CsvFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import fastcsv
from pvt_dagster.formats.csvreader import read_csv_chunks
from pvt_dagster.formats.fastcsv import read_csv_fast

PLAIN = ["1,2,3", "a,b,c", ",,", "x y,z,", "é,ü,ß"]
QUOTED = ['"1,2",b,c', '"multi\nline",x,y', '"say ""hi""",2,3', '"",,""']
BAD = ["1,2", "1,2,3,4", '"unclosed,2,3', '"a"b,2,3', "\x00,1,2", "lone\rcr,1,2", "\udcff,1,2"]


def outcome(reader: object, path: Path, fmt: CsvFormat, size: int) -> object:
    """Chunks as (index, values) lists, or the ParseError's (line, text)."""
    try:
        chunks = list(reader(path, fmt, chunk_rows=size))  # type: ignore[operator]
    except ParseError as exc:
        return ("error", exc.line, str(exc))
    return [(list(c.index), c.columns.tolist(), c.to_numpy().tolist()) for c in chunks]


def random_file(rng: random.Random, bad: bool) -> str:
    """A header, then runs of plain lines between quoted or blank ones (and maybe a bad one)."""
    lines = ["h1,h2,h3"]
    for _ in range(rng.randint(0, 12)):
        lines += [rng.choice(PLAIN) for _ in range(rng.randint(0, 25))]
        pick = rng.random()
        lines.append(rng.choice(QUOTED) if pick < 0.7 else rng.choice(["", "  "]))
    if bad:
        lines.insert(rng.randint(1, len(lines)), rng.choice(BAD))
    eol = rng.choice(["\n", "\r\n"])
    return eol.join(lines) + (eol if rng.random() < 0.8 else "")


def test_fast_path_equals_strict_reader(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """40 random files (some with a BOM, bad bytes, lone CRs), several chunk sizes: identical
    results from both readers (the first
    strict block is shortened so the C path gets most blocks; they are counted to be sure)."""
    monkeypatch.setattr(fastcsv, "FIRST_BLOCK", 2)
    used: list[bool] = []
    real = fastcsv._fast_block

    def counted(*args: Any) -> pd.DataFrame | None:
        result = real(*args)
        used.append(result is not None)
        return result

    monkeypatch.setattr(fastcsv, "_fast_block", counted)
    path = tmp_path / "f.csv"
    fmt = CsvFormat()
    for seed in range(40):
        rng = random.Random(seed)
        bom = b"\xef\xbb\xbf" if seed % 4 == 1 else b""
        path.write_bytes(bom + random_file(rng, bad=seed % 3 == 0).encode(
            "utf-8", errors="surrogateescape"))
        for size in (2, 7, 100):
            assert outcome(read_csv_fast, path, fmt, size) == outcome(
                read_csv_chunks, path, fmt, size), (seed, size)
    assert sum(used) > 300 and not all(used)


def test_large_plain_file_uses_whole_chunks(tmp_path: Path) -> None:
    """A plain file of many blocks: exact chunk sizes and row numbers, strings kept as is."""
    path = tmp_path / "f.csv"
    path.write_text("a,b\n" + "".join(f"{i:05d},NA\n" for i in range(2500)))
    chunks = list(read_csv_fast(path, CsvFormat(), chunk_rows=1000))
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    whole = pd.concat(chunks)
    assert list(whole.index) == list(range(1, 2501)) and whole["a"].iloc[0] == "00000"
    assert set(whole["b"]) == {"NA"} and whole["a"].dtype == object


def test_unbalanced_quote_late_in_a_big_file(tmp_path: Path) -> None:
    """An unclosed quote after many plain blocks is reported at its line."""
    path = tmp_path / "f.csv"
    path.write_text("a,b\n" + "1,2\n" * 5000 + '"open,2\n' + "3,4\n" * 50)
    with pytest.raises(ParseError) as info:
        list(read_csv_fast(path, CsvFormat(), chunk_rows=100))
    assert info.value.line == 5002 and "not closed" in str(info.value)
