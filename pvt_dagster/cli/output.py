"""How the ``pvt`` command prints: JSON shapes of the Contracts, and plain tables."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

from pvt_dagster.domain import RULE_SEVERITIES, RuleSeverity
from pvt_dagster.ledger import FileRecord, Ledger

NO_CHECKS = dict.fromkeys(RULE_SEVERITIES, 0)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC ending in ``Z``, or None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_json(record: FileRecord, checks: dict[RuleSeverity, int] | None) -> dict[str, Any]:
    """One file as ``pvt files --json`` prints it."""
    return {
        "key": record.key, "client": record.client, "feed": record.feed, "name": record.name,
        "source": record.source, "status": record.status, "stage": record.stage,
        "bytes": record.bytes if record.bytes is not None else record.size,
        "raw_sha256": record.raw_sha256, "rows": record.rows,
        "checks": dict(checks or NO_CHECKS),
        "received_at": iso(record.received_at), "updated_at": iso(record.updated_at),
        "error": record.error, "metrics": record.metrics or {},
    }


def file_story_json(ledger: Ledger, record: FileRecord) -> dict[str, Any]:
    """One file with its events, check results, scrub changes and messages."""
    counts = ledger.check_counts([record.key]).get(record.key)
    story = file_json(record, counts)
    story["discovered_at"] = iso(record.discovered_at)
    story["events"] = [{
        "seq": e.seq, "stage": e.stage, "action": e.action, "input_sha256": e.input_sha256,
        "output_sha256": e.output_sha256, "input_name": e.input_name,
        "output_name": e.output_name, "bytes": e.bytes, "rows": e.rows,
        "started_at": iso(e.started_at), "finished_at": iso(e.finished_at),
        "outcome": e.outcome, "error": e.error, "details": e.details,
        "prev_hash": e.prev_hash, "hash": e.hash,
    } for e in ledger.events(record.key)]
    story["check_results"] = [{
        "phase": c.phase, "check": c.check_name, "rule": c.rule, "column": c.column,
        "severity": c.severity, "passed": c.passed, "failures": c.failures,
        "rows": c.rows, "samples": c.samples, "message": c.message,
    } for c in ledger.check_results(record.key)]
    story["scrub_changes"] = [{
        "column": s.column, "action": s.action, "step": s.step,
        "rows_changed": s.rows_changed, "rows": s.rows, "samples": s.samples,
    } for s in ledger.scrub_changes(record.key)]
    story["messages"] = [{
        "kind": m.kind, "severity": m.severity, "stage": m.stage, "text": m.text,
        "status": m.status, "created_at": iso(m.created_at),
    } for m in ledger.messages(file_key=record.key)]
    return story


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a listing of many files allocates rows, tuples
    and strings (no cycles) that every collection would otherwise scan again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def print_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def terminal_safe(text: str) -> str:
    """``text`` with control characters (escape sequences, CR, BEL, C1 codes) shown as
    ``\\xNN``: remote names and paths are untrusted and must not drive the terminal."""
    if text.isprintable():  # the usual case, at C speed (a space is printable)
        return text
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}"
                   if ord(ch) < 0x100 else f"\\u{ord(ch):04x}" for ch in text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned table on stdout (cells made terminal-safe)."""
    columns = list(zip(*rows, strict=True)) or [() for _ in headers]
    print_columns(headers, columns)


def _texts(column: Sequence[Any]) -> list[str]:
    """A column's cells as terminal-safe text (None as empty)."""
    texts = (["" if v is None else str(v) for v in column] if None in column
             else list(map(str, column)))
    # One C-speed test per column; cell by cell only in a column that needs escaping.
    return texts if "".join(texts).isprintable() else list(map(terminal_safe, texts))


def print_columns(headers: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
    """``print_table`` of a table given column by column (the same text, in C-speed passes
    over each column rather than a Python loop over each cell: a feed may list years of
    files)."""
    if len(columns) != len(headers):
        raise ValueError(f"{len(headers)} headers, {len(columns)} columns")
    texts = [_texts(column) for column in columns]
    widths = [max(len(h), *map(len, column)) if column else len(h)
              for h, column in zip(headers, texts, strict=True)]
    padded = [list(map(str.ljust, column, repeat(w))) for column, w in zip(texts, widths,
                                                                          strict=True)]
    lines = ["  ".join(map(str.ljust, headers, widths)).rstrip()]
    lines += map(str.rstrip, map("  ".join, zip(*padded, strict=True)))
    sys.stdout.write("\n".join(lines) + "\n")  # one write
