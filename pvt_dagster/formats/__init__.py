"""File formats read in chunks (CSV, fixed width, Excel), shared by validation and scrubbing:
each chunk is a DataFrame of strings indexed by the 1-based data row ``_row`` (``str`` values,
or Arrow strings from ``read_arrow_chunks``)."""

from __future__ import annotations

from pvt_dagster.formats.arrowcsv import ARROW_CHUNK_ROWS, STRING, read_arrow_chunks
from pvt_dagster.formats.chunks import read_chunks
from pvt_dagster.formats.frames import CHUNK_ROWS, ROW_INDEX

__all__ = ["ARROW_CHUNK_ROWS", "CHUNK_ROWS", "ROW_INDEX", "STRING", "read_arrow_chunks",
           "read_chunks"]
