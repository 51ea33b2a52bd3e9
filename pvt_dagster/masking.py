"""Masking of PII shown anywhere outside the data files (Invariant 3): values in reports, logs,
metadata and samples, and a last scan of outgoing texts for SSN and phone shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SHOWN = 40
KEEP_LAST = 4
MIN_DIGITS_TO_KEEP = 7
EMPTY = "(empty)"

# Digits not glued to other letters or digits, so hashes, ids and timestamps are left alone.
_EDGE_L, _EDGE_R = r"(?<![\w*])", r"(?![\w*])"
SSN = re.compile(_EDGE_L + r"\d{3}([- ]?)\d{2}\1\d{4}" + _EDGE_R)
PHONE = re.compile(_EDGE_L + r"(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ]?)\d{3}[-. ]?\d{4}"
                   + _EDGE_R)


def _printable(value: str) -> str:
    """The value with control characters (newlines, tabs) replaced by spaces, so it fits a line."""
    return "".join(ch if ch.isprintable() else " " for ch in value)


def mask_value(value: str) -> str:
    """Mask a value, keeping punctuation and spaces. Number-like values of 7 or more digits
    (SSNs, phone numbers, member numbers) keep their last 4 digits, as ``***-**-6789``; every
    other letter and digit is starred, so names and short codes never show in part."""
    shown = _printable(value[:MAX_SHOWN])
    digits = sum(ch.isdigit() for ch in shown)
    letters = sum(ch.isalpha() for ch in shown)
    keep_from = digits - KEEP_LAST if digits >= MIN_DIGITS_TO_KEEP and not letters else digits
    out: list[str] = []
    seen = 0
    for ch in shown:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else "*")
            seen += 1
        elif ch.isalpha():
            out.append("*")
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


def mask_pii(text: str) -> str:
    """``text`` with anything shaped like an SSN or a US phone number masked (a last line of
    defence for outgoing subjects, bodies, Case fields and log lines)."""
    text = SSN.sub(lambda m: mask_value(m.group(0)), text)
    return PHONE.sub(lambda m: mask_value(m.group(0)), text)


def has_pii(text: str) -> bool:
    """Whether ``text`` still holds something shaped like an SSN or a phone number."""
    return bool(SSN.search(text) or PHONE.search(text))
