"""Masking of PII shown anywhere outside the data files (Invariant 3): values in reports, logs,
metadata and samples, and a last scan of outgoing texts for SSN and phone shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SHOWN = 40
KEEP_LAST = 4
MIN_DIGITS_TO_KEEP = 7
EMPTY = "(empty)"

# Digits not glued to other letters or digits, so hashes, ids and timestamps are left alone;
# an underscore is an edge (``members_123-45-6789.csv`` holds an SSN).
_EDGE_L, _EDGE_R = r"(?<![^\W_])(?<!\*)", r"(?![^\W_])(?!\*)"
SSN = re.compile(_EDGE_L + r"\d{3}([- ]?)\d{2}\1\d{4}" + _EDGE_R)
PHONE = re.compile(_EDGE_L + r"(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ]?)\d{3}[-. ]?\d{4}"
                   + _EDGE_R)
# Dates: their month and day are as telling as their year (a birth date), so all is hidden.
_DATE = re.compile(r"\s*(?:(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"
                   r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)?\d\d"
                   r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
                   r"(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z?)?\s*")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
MAX_MESSAGE = 300


def _printable(value: str) -> str:
    """The value with control characters (newlines, tabs) replaced by spaces, so it fits a line."""
    return "".join(ch if ch.isprintable() else " " for ch in value)


def mask_value(value: str, *, star: str = "*") -> str:
    """Mask a value, keeping punctuation and spaces. Number-like values of 7 or more digits
    (SSNs, phone numbers, member numbers) keep their last 4 digits, as ``***-**-6789``; dates
    and every other letter and digit are starred, so birth dates, names and short codes never
    show in part. ``star`` replaces what is hidden (``x`` where ``*`` is not allowed)."""
    shown = _printable(value[:MAX_SHOWN])
    digits = sum(ch.isdigit() for ch in shown)
    letters = sum(ch.isalpha() for ch in shown)
    number_like = digits >= MIN_DIGITS_TO_KEEP and not letters and not _DATE.fullmatch(shown)
    keep_from = digits - KEEP_LAST if number_like else digits
    out: list[str] = []
    seen = 0
    for ch in shown:
        if ch.isdigit():
            out.append(ch if seen >= keep_from else star)
            seen += 1
        elif ch.isalpha():
            out.append(star)
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


def mask_pii(text: str, *, star: str = "*") -> str:
    """``text`` with anything shaped like an SSN or a US phone number masked (a last line of
    defence for outgoing subjects, bodies, Case fields, log lines and file names)."""
    text = SSN.sub(lambda m: mask_value(m.group(0), star=star), text)
    return PHONE.sub(lambda m: mask_value(m.group(0), star=star), text)


def mask_message(text: str) -> str:
    """A third-party error message made safe to show: one line, every quoted literal masked
    (``invalid literal for int(): '***-**-6789'``), and so is every word that may be data
    rather than wording: one holding a digit (a number of up to three digits stays: "line
    3"), an ``@``, or a capital letter after the first word (a name). At most 300
    characters."""
    line = " ".join(_printable(text).split())
    line = _QUOTED.sub(lambda m: m.group(0)[0] + mask_value(m.group(0)[1:-1]) + m.group(0)[0],
                       line)
    line = mask_pii(line)
    words = line.split(" ")
    line = " ".join(words[:1] + [_mask_word(w) for w in words[1:]])
    return line if len(line) <= MAX_MESSAGE else line[:MAX_MESSAGE - 1] + "…"


def _mask_word(word: str) -> str:
    """One word of a message, masked when it may be data (see ``mask_message``)."""
    core = word.strip(".,;:!?()[]{}<>\"'")
    if not core or "*" in core:
        return word
    if (any(ch.isdigit() for ch in core) and not (core.isdigit() and len(core) <= 3)) \
            or "@" in core or any(ch.isupper() for ch in core):
        return word.replace(core, mask_value(core))
    return word


def has_pii(text: str) -> bool:
    """Whether ``text`` still holds something shaped like an SSN or a phone number."""
    return bool(SSN.search(text) or PHONE.search(text))
