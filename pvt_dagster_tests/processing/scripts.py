"""Custom job scripts used by the tests (a client's own ``package.module:function`` logic)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def raises_with_pii(frames: Mapping[str, pd.DataFrame], options: dict[str, Any]) -> pd.DataFrame:
    """Fails the way third-party code does: its message quotes data (an SSN, a name)."""
    raise ValueError("cannot score member 123-45-6789 named 'Jane Roe'")


def drops_nav(frames: Mapping[str, pd.DataFrame], options: dict[str, Any]) -> pd.DataFrame:
    """Returns its input without the ``nav`` column its contract requires."""
    (frame,) = frames.values()
    return frame.drop(columns=["nav"])


def returns_text(frames: Mapping[str, pd.DataFrame], options: dict[str, Any]) -> str:
    """Returns something that is not a DataFrame."""
    return "done"


def nav_in_cents(frames: Mapping[str, pd.DataFrame], options: dict[str, Any]) -> pd.DataFrame:
    """Per-customer logic: the nav in integer cents."""
    (frame,) = frames.values()
    out = frame.copy()
    out["nav_cents"] = (pd.to_numeric(out["nav"]) * options.get("scale", 100)).round().astype(
        "int64")
    return out
