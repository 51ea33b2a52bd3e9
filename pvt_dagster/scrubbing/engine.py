"""The scrub engine: apply each column's steps chunk by chunk, audit changes, write atomically."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pvt_dagster.config.models import CsvFormat, FeedConfig, ScrubStep
from pvt_dagster.scrubbing.actions import apply_step
from pvt_dagster.validation.masking import show_value
from pvt_dagster.validation.reader import read_chunks

MAX_ROWS = 10
MAX_SAMPLES = 5


@dataclass
class ScrubChange:
    """The audit of one scrub step on one column: rows changed, first rows, masked samples."""

    column: str
    action: str
    step: int  # 1-based position of the step in the column's scrub list
    rows_changed: int = 0
    rows: list[int] = field(default_factory=list)
    samples: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ScrubReport:
    """What scrubbing one file did: rows written and one change record per step applied."""

    rows: int
    changes: list[ScrubChange]


def _apply(
    chunk: pd.DataFrame, column: str, steps: list[ScrubStep], audit: list[ScrubChange], pii: bool
) -> None:
    """Run a column's steps in order on one chunk, counting each step against its input."""
    values = chunk[column]
    for step, change in zip(steps, audit, strict=True):
        after = apply_step(values, step)
        changed = values != after
        count = int(changed.sum())
        if count:
            change.rows_changed += count
            room = MAX_ROWS - len(change.rows)
            if room > 0:
                change.rows.extend(int(r) for r in chunk.index[changed][:room])
            room = MAX_SAMPLES - len(change.samples)
            if room > 0:
                pairs = zip(values[changed].iloc[:room], after[changed].iloc[:room], strict=True)
                for before, new in pairs:
                    change.samples.append((show_value(before, pii=pii), show_value(new, pii=pii)))
        values = after
    chunk[column] = values


def scrub_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    feed: FeedConfig,
    *,
    fmt: CsvFormat | None = None,
    chunk_rows: int = 100_000,
) -> ScrubReport:
    """Scrub ``src`` into ``dst`` (UTF-8, comma, minimal quoting, header), replacing it at once."""
    fmt = fmt or feed.format
    dst = Path(dst)
    dst.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    tmp = Path(tmp_name)
    changes: list[ScrubChange] = []
    audits: dict[str, list[ScrubChange]] = {}
    rows = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            first = True
            for chunk in read_chunks(src, fmt, chunk_rows=chunk_rows,
                                     columns_hint=list(feed.columns)):
                if first:
                    for name, column in feed.columns.items():
                        if column.scrub and name in chunk.columns:
                            audits[name] = [
                                ScrubChange(column=name, action=s.action, step=i)
                                for i, s in enumerate(column.scrub, start=1)
                            ]
                            changes.extend(audits[name])
                for name, audit in audits.items():
                    column = feed.columns[name]
                    _apply(chunk, name, list(column.scrub), audit, column.pii)
                chunk.to_csv(out, index=False, header=first, lineterminator="\n",
                             quoting=csv.QUOTE_MINIMAL)
                first = False
                rows += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ScrubReport(rows=rows, changes=changes)
