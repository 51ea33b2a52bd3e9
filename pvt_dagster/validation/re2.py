"""Full matches of Python regular expressions run by Arrow's RE2 kernels, with Python's results.

A pattern is translated from Python's own parse of it (``re._parser``), never passed through
as text: the two syntaxes read some strings differently (``x{,3}``, ``\\Z``). Only constructs
whose meaning is the same in both engines on ASCII text are translated; a pattern with any
other (look-arounds, back-references, ``$``, inline flags, repeats beyond RE2's 1000) gets no
RE2 form and runs with Python's ``re`` for its column. Even a translated pattern runs in
Python on values with non-ASCII characters, where Unicode classes and case folding differ.
Full-match existence does not depend on greedy or lazy repeats or on alternation order, so
RE2's leftmost-longest search answers the same question.
"""

from __future__ import annotations

import re
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pvt_dagster.validation.arrowtext import as_bools, non_ascii, per_value

#: Python's ``\s`` on ASCII text (RE2's ``\s`` lacks \x0b and \x1c-\x1f).
_ASCII_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f\x20"
_RE2_MAX_REPEAT = 1000
_ALLOWED_FLAGS = re.IGNORECASE | re.UNICODE | re.VERBOSE
_CLASS_CATEGORIES = {
    sre_c.CATEGORY_DIGIT: "0-9", sre_c.CATEGORY_NOT_DIGIT: r"\D",
    sre_c.CATEGORY_WORD: r"\w", sre_c.CATEGORY_NOT_WORD: r"\W",
    sre_c.CATEGORY_SPACE: _ASCII_SPACE,
}
_AT = {sre_c.AT_BEGINNING: "^", sre_c.AT_BEGINNING_STRING: "^", sre_c.AT_END_STRING: r"\z",
       sre_c.AT_BOUNDARY: r"\b", sre_c.AT_NON_BOUNDARY: r"\B"}


class _Untranslatable(Exception):
    """A construct without the same meaning in RE2."""


def _char(code: int, ignore_case: bool) -> str:
    """One character as an RE2 escape (ASCII only under ignore-case: folding differs)."""
    if ignore_case and code > 0x7F:
        raise _Untranslatable
    return f"\\x{{{code:x}}}"


def _class(items: list[tuple[Any, Any]], ignore_case: bool) -> str:
    """A character class ``[...]``."""
    if items == [(sre_c.CATEGORY, sre_c.CATEGORY_NOT_SPACE)]:
        return f"[^{_ASCII_SPACE}]"
    out, negate = [], False
    for op, arg in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            out.append(_char(arg, ignore_case))
        elif op is sre_c.RANGE:
            out.append(_char(arg[0], ignore_case) + "-" + _char(arg[1], ignore_case))
        elif op is sre_c.CATEGORY and arg in _CLASS_CATEGORIES:
            out.append(_CLASS_CATEGORIES[arg])
        else:
            raise _Untranslatable
    return "[" + ("^" if negate else "") + "".join(out) + "]"


def _emit(parsed: Any, ignore_case: bool) -> str:
    """The RE2 text of a parsed sequence."""
    out: list[str] = []
    for op, arg in parsed:
        if op is sre_c.LITERAL:
            out.append(_char(arg, ignore_case))
        elif op is sre_c.NOT_LITERAL:
            out.append("[^" + _char(arg, ignore_case) + "]")
        elif op is sre_c.ANY:
            out.append(".")
        elif op is sre_c.IN:
            out.append(_class(list(arg), ignore_case))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, high, sub = arg
            if low > _RE2_MAX_REPEAT or (high is not sre_c.MAXREPEAT
                                         and high > _RE2_MAX_REPEAT):
                raise _Untranslatable
            bound = f"{{{low},}}" if high is sre_c.MAXREPEAT else f"{{{low},{high}}}"
            out.append(f"(?:{_emit(sub, ignore_case)}){bound}")
        elif op is sre_c.SUBPATTERN:
            _group, add_flags, del_flags, sub = arg
            if add_flags or del_flags:
                raise _Untranslatable
            out.append(f"(?:{_emit(sub, ignore_case)})")
        elif op is sre_c.BRANCH:
            out.append("(?:" + "|".join(_emit(s, ignore_case) for s in arg[1]) + ")")
        elif op is sre_c.AT and arg in _AT:
            out.append(_AT[arg])
        else:
            raise _Untranslatable
    return "".join(out)


def re2_form(regex: str, ignore_case: bool = False) -> str | None:
    """An anchored RE2 pattern that fully matches the same ASCII strings as Python's
    ``re.fullmatch(regex)``, or None when there is none (the caller then uses Python)."""
    try:
        parsed = sre_parse.parse(regex, re.IGNORECASE if ignore_case else 0)
        if parsed.state.flags & ~_ALLOWED_FLAGS:
            return None
        ignore_case = bool(parsed.state.flags & re.IGNORECASE)  # (?i) in the pattern too
        body = _emit(parsed, ignore_case)
    except (_Untranslatable, re.error, RecursionError):
        return None
    anchored = ("(?i)" if ignore_case else "") + f"^(?:{body})$"
    try:
        pc.match_substring_regex(pa.array([""]), anchored)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return anchored


def full_matches(array: pa.Array, compiled: re.Pattern[str], re2: str | None) -> np.ndarray:
    """Whether each value fully matches: RE2 on ASCII values when ``re2`` is given, Python's
    ``re`` once per distinct value otherwise."""
    fullmatch = compiled.fullmatch

    def python(value: str) -> bool:
        return fullmatch(value) is not None

    if re2 is None:
        return as_bools(per_value(array, python, pa.bool_()))
    ok = as_bools(pc.match_substring_regex(array, re2))
    others = non_ascii(array)
    if len(others):
        ok[others] = as_bools(per_value(array.take(others), python, pa.bool_()))
    return ok
