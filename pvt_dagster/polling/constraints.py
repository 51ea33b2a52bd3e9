"""Constraints a delivered file must meet before it is transferred."""

from __future__ import annotations

from pvt_dagster.config import Constraints


def _allowed(name: str, formats: list[str]) -> bool:
    lowered = name.lower()
    for fmt in formats:
        suffix = fmt.lower() if fmt.startswith(".") else "." + fmt.lower()
        if lowered.endswith(suffix):
            return True
    return False


def constraint_violation(size: int, name: str, constraints: Constraints) -> str | None:
    """Why a file of this size and name breaks the constraints, or None when it does not.

    ``min_bytes`` unset means 1: an empty file is refused unless ``min_bytes: 0`` is set.
    """
    min_bytes = 1 if constraints.min_bytes is None else constraints.min_bytes
    if size == 0 and min_bytes > 0:
        return "empty file (0 bytes)"
    if size < min_bytes:
        return f"too small: {size} bytes, the minimum is {min_bytes} bytes"
    if constraints.max_bytes is not None and size > constraints.max_bytes:
        return f"too large: {size} bytes, the limit is {constraints.max_bytes} bytes"
    return name_violation(name, constraints)


def name_violation(name: str, constraints: Constraints) -> str | None:
    """Why a file name breaks the constraints (``formats``), or None when it does not."""
    if constraints.formats and not _allowed(name, constraints.formats):
        allowed = ", ".join(constraints.formats)
        return f"file name does not end with an allowed suffix ({allowed})"
    return None
