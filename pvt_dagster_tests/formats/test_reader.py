"""Chunked CSV reading: formats, row numbers across chunks and translated parse errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pvt_dagster.config.models import CsvFormat
from pvt_dagster.errors import ParseError
from pvt_dagster.formats import read_chunks


def write(tmp_path: Path, data: bytes | str, name: str = "f.csv") -> Path:
    """Write a file (text as UTF-8) and return its path."""
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read_all(
    path: Path, fmt: CsvFormat | None = None, columns_hint: list[str] | None = None
) -> pd.DataFrame:
    """All chunks concatenated."""
    return pd.concat(list(read_chunks(path, fmt or CsvFormat(), columns_hint=columns_hint)))


def test_strings_only_and_row_numbers_across_chunks(tmp_path: Path) -> None:
    """Values stay strings (no NA, no numbers); the index is the 1-based data row number."""
    path = write(tmp_path, "id,v\n001,NA\n002,\n003,null\n004,1.0\n005,x\n")
    chunks = list(read_chunks(path, CsvFormat(), chunk_rows=2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert [list(c.index) for c in chunks] == [[1, 2], [3, 4], [5]]
    assert chunks[0].index.name == "_row"
    whole = pd.concat(chunks)
    assert list(whole["id"]) == ["001", "002", "003", "004", "005"]
    assert list(whole["v"]) == ["NA", "", "null", "1.0", "x"]


def test_bom_is_accepted_with_utf8(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark does not end up in the first column's name."""
    path = write(tmp_path, b"\xef\xbb\xbfssn,name\n123-45-6789,Jos\xc3\xa9\n")
    df = read_all(path)
    assert list(df.columns) == ["ssn", "name"]
    assert df["name"].iloc[0] == "José"


def test_latin1_semicolon_and_quotes(tmp_path: Path) -> None:
    """The format's encoding, delimiter and quote character are used."""
    text = "name;city\n'Müller; Hans';'Köln'\n'O''Brien';'Line\nBreak'\n"
    path = write(tmp_path, text.encode("latin-1"))
    fmt = CsvFormat(delimiter=";", quotechar="'", encoding="latin-1")
    df = read_all(path, fmt)
    assert list(df["name"]) == ["Müller; Hans", "O'Brien"]
    assert list(df["city"]) == ["Köln", "Line\nBreak"]
    assert list(df.index) == [1, 2]


def test_quoted_delimiters_and_newlines(tmp_path: Path) -> None:
    """Quoted fields keep embedded delimiters, quotes and newlines; row numbers count records."""
    path = write(tmp_path, 'a,b\n"1,2","x\ny"\n"say ""hi""",z\n')
    chunks = list(read_chunks(path, CsvFormat(), chunk_rows=1))
    df = pd.concat(chunks)
    assert list(df["a"]) == ["1,2", 'say "hi"']
    assert list(df["b"]) == ["x\ny", "z"]
    assert list(df.index) == [1, 2]


def test_no_header_uses_declared_names(tmp_path: Path) -> None:
    """Without a header the hinted names are used in order, extra columns get column_<n>."""
    path = write(tmp_path, "1,2,3\n4,5,6\n")
    df = read_all(path, CsvFormat(header=False), columns_hint=["a", "b"])
    assert list(df.columns) == ["a", "b", "column_3"]
    assert list(df["a"]) == ["1", "4"] and list(df.index) == [1, 2]


def test_wrong_field_count_is_a_parse_error_with_line(tmp_path: Path) -> None:
    """Too many fields on a line: ParseError naming the line, without the data."""
    path = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n7,8,9\nsecret,5,6,7\n")
    with pytest.raises(ParseError) as info:
        list(read_chunks(path, CsvFormat(), chunk_rows=2))
    assert info.value.line == 5
    assert str(info.value) == "line 5: expected 3 fields, saw 4"
    assert "secret" not in str(info.value)


def test_extra_field_on_every_row_is_an_error(tmp_path: Path) -> None:
    """Rows with one more field than the header never silently become an index."""
    path = write(tmp_path, "a,b\n1,2,3\n4,5,6\n")
    with pytest.raises(ParseError) as info:
        read_all(path)
    assert str(info.value) == "line 2: expected 2 fields, saw 3"


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 4, 100])
@pytest.mark.parametrize("good_rows", [0, 1, 2, 3, 4])
def test_too_long_row_at_any_chunk_boundary(
    tmp_path: Path, chunk_rows: int, good_rows: int
) -> None:
    """A too-long row is an error wherever chunks split (pandas-dev/pandas#11569 truncates it)."""
    path = write(tmp_path, "a,b\n" + "1,2\n" * good_rows + "4,5,,7\n8,9\n")
    with pytest.raises(ParseError) as info:
        list(read_chunks(path, CsvFormat(), chunk_rows=chunk_rows))
    assert info.value.line == good_rows + 2
    assert str(info.value).endswith("expected 2 fields, saw 4")


def test_short_row_is_a_parse_error(tmp_path: Path) -> None:
    """A row with fewer fields than the header is malformed, not silently padded."""
    path = write(tmp_path, 'a,b,c\n1,2,3\n"x\ny",2\n')
    with pytest.raises(ParseError) as info:
        read_all(path)
    assert str(info.value) == "line 3: expected 3 fields, saw 2"


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    """Blank and whitespace-only lines are skipped; row numbers count data rows only."""
    df = read_all(write(tmp_path, "\na,b\n1,2\n\n   \n3,4\n\n"))
    assert df.values.tolist() == [["1", "2"], ["3", "4"]] and list(df.index) == [1, 2]


def test_single_column_keeps_quoted_empty_values(tmp_path: Path) -> None:
    """In a one-column file a quoted empty field is an empty value, a blank line is skipped."""
    df = read_all(write(tmp_path, 'id\n1\n""\n\n  \n3\n'))
    assert list(df["id"]) == ["1", "", "  ", "3"]


def test_duplicate_header_names_are_made_unique(tmp_path: Path) -> None:
    """Repeated header names get .1, .2 suffixes like pandas."""
    df = read_all(write(tmp_path, "a,b,a,a\n1,2,3,4\n"))
    assert list(df.columns) == ["a", "b", "a.1", "a.2"]


def test_unclosed_quote_in_a_long_field_is_bounded(tmp_path: Path) -> None:
    """An unclosed quote cannot swallow the file: the field size limit stops it with a line."""
    path = write(tmp_path, 'a,b\n1,"2\n' + "x,y\n" * 50_000)
    with pytest.raises(ParseError) as info:
        read_all(path)
    assert info.value.line == 2 and "x,y" not in str(info.value)


def test_unclosed_quote(tmp_path: Path) -> None:
    """A quote left open until the end of the file is reported with its line."""
    path = write(tmp_path, 'a,b\n1,2\n3,"4\n5,6\n')
    with pytest.raises(ParseError) as info:
        read_all(path)
    assert info.value.line == 3
    assert "quoted field" in str(info.value)


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    """Bytes that are not valid UTF-8: ParseError with the physical line, no content."""
    path = write(tmp_path, b"a,b\n1,2\n3,\xff\xfe\n")
    with pytest.raises(ParseError) as info:
        read_all(path)
    assert info.value.line == 3
    assert str(info.value) == "line 3: the file is not valid utf-8 text"


def test_unknown_encoding(tmp_path: Path) -> None:
    """An encoding Python does not know is a ParseError, not a LookupError."""
    path = write(tmp_path, "a\n1\n")
    with pytest.raises(ParseError, match="unknown encoding"):
        read_all(path, CsvFormat(encoding="klingon"))


def test_empty_file(tmp_path: Path) -> None:
    """A 0-byte file is a ParseError 'file is empty'."""
    path = write(tmp_path, b"")
    with pytest.raises(ParseError, match=r"^file is empty$"):
        read_all(path)


def test_blank_lines_only(tmp_path: Path) -> None:
    """A file of blank lines has no header: ParseError."""
    with pytest.raises(ParseError):
        read_all(write(tmp_path, "\n\n"))


def test_header_only_is_zero_rows(tmp_path: Path) -> None:
    """A header without data yields one empty chunk that still has the columns."""
    chunks = list(read_chunks(write(tmp_path, "a,b,c\n"), CsvFormat()))
    assert len(chunks) == 1
    assert list(chunks[0].columns) == ["a", "b", "c"] and len(chunks[0]) == 0
