"""File formats read in chunks (CSV, fixed width, Excel), shared by validation and scrubbing:
each chunk is a DataFrame of strings indexed by the 1-based data row ``_row``."""

from __future__ import annotations

from pvt_dagster.formats.chunks import read_chunks
from pvt_dagster.formats.frames import CHUNK_ROWS, ROW_INDEX

__all__ = ["CHUNK_ROWS", "ROW_INDEX", "read_chunks"]
