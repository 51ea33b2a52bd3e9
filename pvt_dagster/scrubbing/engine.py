"""The scrub engine: apply each column's steps chunk by chunk on Arrow arrays, audit changes,
write atomically."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pvt_dagster.config import FeedConfig, FileFormat
from pvt_dagster.errors import ScrubError
from pvt_dagster.formats import ARROW_CHUNK_ROWS, read_arrow_chunks
from pvt_dagster.fsutil import private_temp_beside
from pvt_dagster.masking import show_value
from pvt_dagster.scrubbing.actions import apply_arrow
from pvt_dagster.scrubbing.csvout import write_header, write_rows
from pvt_dagster.validation import PlannedCheck, as_arrow, as_bools, planned_checks, predicate

StepFunction = Callable[[pa.Array], pa.Array]
#: Rules null_if_invalid cannot use: they judge the column or the file, not one value.
NOT_PER_VALUE = frozenset({"required", "unique", "custom"})

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


def named_rule(column: str, name: str, planned: list[PlannedCheck]) -> PlannedCheck:
    """The column's check that ``null_if_invalid`` names: by check name or by rule kind."""
    mine = [p for p in planned if p.column == column and not p.file_level]
    found = [p for p in mine if name in (p.name, p.rule)]
    if not found:
        have = ", ".join(p.name for p in mine) or "none"
        raise ScrubError(f"null_if_invalid on {column}: the column has no rule {name!r} "
                         f"(its checks: {have})")
    if found[0].rule in NOT_PER_VALUE:
        raise ScrubError(f"null_if_invalid on {column}: rule {found[0].rule} does not judge "
                         "single values")
    return found[0]


def step_functions(feed: FeedConfig, column: str) -> list[StepFunction]:
    """The column's scrub steps as functions of an Arrow array, rules resolved once per file."""
    planned = planned_checks(feed)
    out: list[StepFunction] = []
    for step in feed.columns[column].scrub:
        if step.action == "null_if_invalid":
            check = predicate(named_rule(column, str(step.options.get("rule")), planned))
            out.append(partial(apply_arrow, action="null_if_invalid", options={"rule": check}))
        else:
            out.append(partial(apply_arrow, action=step.action, options=step.options))
    return out


def _apply(values: pa.Array, index: pd.Index, steps: list[StepFunction],
           audit: list[ScrubChange], pii: bool) -> pa.Array:
    """Run a column's steps in order on one chunk, counting each step against its input."""
    for step, change in zip(steps, audit, strict=True):
        after = step(values)
        changed = as_bools(pc.not_equal(values, after))
        where = np.flatnonzero(changed)
        if len(where):
            change.rows_changed += len(where)
            room = MAX_ROWS - len(change.rows)
            if room > 0:
                change.rows.extend(int(r) for r in index[where[:room]])
            room = MAX_SAMPLES - len(change.samples)
            if room > 0:
                first = pa.array(where[:room])
                pairs = zip(values.take(first).to_pylist(), after.take(first).to_pylist(),
                            strict=True)
                for before, new in pairs:
                    change.samples.append((show_value(before, pii=pii), show_value(new, pii=pii)))
        values = after
    return values


def scrub_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    feed: FeedConfig,
    *,
    fmt: FileFormat | None = None,
    chunk_rows: int = ARROW_CHUNK_ROWS,
) -> ScrubReport:
    """Scrub ``src`` into ``dst`` (UTF-8, comma, minimal quoting, header), replacing it at once."""
    fmt = fmt or feed.format
    dst = Path(dst)
    fd, tmp = private_temp_beside(dst, suffix=".tmp")
    changes: list[ScrubChange] = []
    audits: dict[str, list[ScrubChange]] = {}
    steps: dict[str, list[StepFunction]] = {}
    rows = 0
    try:
        with os.fdopen(fd, "wb") as out:
            first = True
            for chunk in read_arrow_chunks(src, fmt, chunk_rows=chunk_rows,
                                           columns_hint=list(feed.columns)):
                if first:
                    for name, column in feed.columns.items():
                        if column.scrub and name in chunk.columns:
                            audits[name] = [
                                ScrubChange(column=name, action=s.action, step=i)
                                for i, s in enumerate(column.scrub, start=1)
                            ]
                            changes.extend(audits[name])
                            steps[name] = step_functions(feed, name)
                    write_header(out, [str(c) for c in chunk.columns])
                arrays = {str(c): as_arrow(chunk[c]) for c in chunk.columns}
                for name, audit in audits.items():
                    arrays[name] = _apply(arrays[name], chunk.index, steps[name], audit,
                                          feed.columns[name].pii)
                write_rows(out, pa.table(arrays))
                first = False
                rows += len(chunk)
                del chunk, arrays
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ScrubReport(rows=rows, changes=changes)
