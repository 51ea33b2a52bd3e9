"""Masking of data values shown in reports, logs, metadata and messages (Invariant 3)."""

from __future__ import annotations

from collections.abc import Iterable

MAX_SHOWN = 40
KEEP_LAST = 4
EMPTY = "(empty)"


def _printable(value: str) -> str:
    """The value with control characters (newlines, tabs) replaced by spaces, so it fits a line."""
    return "".join(ch if ch.isprintable() else " " for ch in value)


def mask_value(value: str) -> str:
    """Mask a value: keep its last 4 letters/digits and all punctuation, star the other ones."""
    shown = _printable(value[:MAX_SHOWN])
    alnum = sum(ch.isalnum() for ch in shown)
    keep_from = alnum - KEEP_LAST if alnum > KEEP_LAST else alnum
    out: list[str] = []
    seen = 0
    for ch in shown:
        if ch.isalnum():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def show_value(value: str, *, pii: bool) -> str:
    """One value as a report shows it: masked if PII, ``(empty)`` if blank, at most 40 chars."""
    if not value.strip():
        return EMPTY
    return mask_value(value) if pii else _printable(value[:MAX_SHOWN])


def sample_values(values: Iterable[str], *, pii: bool, limit: int = 5) -> list[str]:
    """The first ``limit`` values as a report shows them (masked unless ``pii`` is False)."""
    out: list[str] = []
    for value in values:
        if len(out) >= limit:
            break
        out.append(show_value(str(value), pii=pii))
    return out
