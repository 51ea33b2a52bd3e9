"""A last line of defence: every outgoing subject, body and Case field is scanned for SSN and
phone patterns, and what looks like one is masked (texts are built from masked data already)."""

from __future__ import annotations

import re

from pvt_dagster.validation.masking import mask_value

# Digits not glued to other letters or digits, so hashes, ids and timestamps are left alone.
_EDGE_L, _EDGE_R = r"(?<![\w*])", r"(?![\w*])"
SSN = re.compile(_EDGE_L + r"\d{3}([- ]?)\d{2}\1\d{4}" + _EDGE_R)
PHONE = re.compile(_EDGE_L + r"(?:\+?1[-. ]?)?(?:\(\d{3}\)\s?|\d{3}[-. ]?)\d{3}[-. ]?\d{4}"
                   + _EDGE_R)


def mask_pii(text: str) -> str:
    """``text`` with anything shaped like an SSN or a US phone number masked."""
    text = SSN.sub(lambda m: mask_value(m.group(0)), text)
    return PHONE.sub(lambda m: mask_value(m.group(0)), text)


def has_pii(text: str) -> bool:
    """Whether ``text`` still holds something shaped like an SSN or a phone number."""
    return bool(SSN.search(text) or PHONE.search(text))
