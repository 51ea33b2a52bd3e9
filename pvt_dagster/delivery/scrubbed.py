"""Reading a scrubbed file (UTF-8, comma CSV with a header) the way every delivery target does:
the header checked once, then its data rows streamed with an exact field count."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

from pvt_dagster.errors import DeliveryError


def read_header(src: Path, *, reserved: Collection[str] = ()) -> list[str]:
    """The scrubbed file's column names; DeliveryError if absent or if one is ``reserved``."""
    with open(src, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise DeliveryError(f"{src.name} has no header row")
    for name in header:
        if name in reserved:
            raise DeliveryError(f"{src.name} already has a column named {name}")
    return header


def data_rows(src: Path, width: int) -> Iterator[list[str]]:
    """Every non-blank data row, each checked to have ``width`` fields."""
    with open(src, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                raise DeliveryError(f"{src.name} line {reader.line_num}: {len(row)} fields, "
                                    f"the header has {width}")
            yield row
