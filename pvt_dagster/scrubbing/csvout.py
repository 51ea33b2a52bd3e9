"""The scrubbed CSV's bytes: UTF-8, comma, ``\\n``, minimal quoting, exactly as ``csv.writer``
(``QUOTE_MINIMAL``, ``lineterminator="\\n"``) writes them.

A chunk whose values need no quoting is written by pyarrow's CSV writer without quotes
(``quoting_style="none"``), which then gives the same bytes; pyarrow refuses any value holding
a delimiter, quote, CR or LF (a superset of what ``csv.writer`` quotes), and such a chunk, or a
one-column file (where ``csv.writer`` writes an empty value as ``""``), is written by
``csv.writer`` itself.
"""

from __future__ import annotations

import csv
import io
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

_PLAIN = pacsv.WriteOptions(include_header=False, quoting_style="none", delimiter=",",
                            batch_size=32_768)


def _csv_text(rows: object) -> bytes:
    """Rows written by ``csv.writer`` (minimal quoting, ``\\n``), as UTF-8 bytes."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)  # type: ignore[arg-type]
    return text.getvalue().encode("utf-8")


def write_header(out: BinaryIO, columns: list[str]) -> None:
    """The header line."""
    out.write(_csv_text([columns]))


def write_rows(out: BinaryIO, table: pa.Table) -> None:
    """A table of strings as CSV lines, in column order."""
    if table.num_columns > 1:
        buffer = io.BytesIO()
        try:
            pacsv.write_csv(table, buffer, _PLAIN)
        except pa.ArrowInvalid:
            pass  # a value needs quotes
        else:
            out.write(buffer.getbuffer())
            return
    columns = [column.to_pylist() for column in table.columns]
    out.write(_csv_text(zip(*columns, strict=True)))
