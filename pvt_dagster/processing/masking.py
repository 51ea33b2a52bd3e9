"""Error text of a script or library, made safe to show: quoted literals and anything shaped
like an SSN or a phone number are masked (a pandas or custom error may quote a data value)."""

from __future__ import annotations

import re

from pvt_dagster.masking import mask_pii, mask_value

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
MAX_TEXT = 300


def masked_text(exc: BaseException) -> str:
    """The first line of ``exc``'s message with quoted values and PII-shaped digits masked."""
    lines = str(exc).strip().splitlines()
    first = " ".join(lines[0].split()) if lines else ""
    first = _QUOTED.sub(lambda m: m.group(0)[0] + mask_value(m.group(0)[1:-1]) + m.group(0)[0],
                        first)
    return mask_pii(first)[:MAX_TEXT]


def describe_exception(exc: BaseException) -> str:
    """``TypeName: masked message`` (or only the type when there is no message)."""
    text = masked_text(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
