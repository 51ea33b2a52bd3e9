"""Scrub actions: each vectorised action, empty values kept empty, unknown actions refused."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pvt_dagster.config.models import ScrubStep
from pvt_dagster.errors import ScrubError
from pvt_dagster.scrubbing import apply_action, apply_step


def run(action: str, values: list[str], **options: Any) -> list[str]:
    """Apply one action to a list of strings."""
    return list(apply_action(pd.Series(values, dtype=object), action, options))


@pytest.mark.parametrize(
    ("action", "options", "before", "after"),
    [
        ("strip_hyphens", {}, ["123-45-6789", "12--3", "none", ""],
         ["123456789", "123", "none", ""]),
        ("digits_only", {}, ["(555) 123-4567", "+1 555.123.4567", "abc", ""],
         ["5551234567", "15551234567", "", ""]),
        ("pad_left", {"width": 5, "fill": "0"}, ["42", "123456", "", " "],
         ["00042", "123456", "", " "]),
        ("pad_left", {"width": 4}, ["ab"], ["  ab"]),
        ("pad_right", {"width": 4, "fill": "x"}, ["ab", "abcdef", ""], ["abxx", "abcdef", ""]),
        ("trim", {}, ["  a b  ", "\tx\n", "", "   "], ["a b", "x", "", ""]),
        ("upper", {}, ["ca", "Ny", "ß", ""], ["CA", "NY", "SS", ""]),
        ("lower", {}, ["CA", "Ny", ""], ["ca", "ny", ""]),
    ],
)
def test_actions(action: str, options: dict[str, Any], before: list[str], after: list[str]) -> None:
    """Each action transforms values as documented and leaves empty values empty."""
    assert run(action, before, **options) == after


def test_apply_step_uses_options() -> None:
    """A configured step passes its options to the action."""
    step = ScrubStep.model_validate({"pad_left": {"width": 10, "fill": "0"}})
    assert list(apply_step(pd.Series(["42"], dtype=object), step)) == ["0000000042"]


def test_actions_keep_the_index() -> None:
    """Row numbers (the index) survive an action."""
    values = pd.Series(["a-b", "c"], index=pd.Index([7, 8], name="_row"), dtype=object)
    assert list(apply_action(values, "strip_hyphens").index) == [7, 8]


def test_unknown_action_and_bad_options() -> None:
    """An unknown action or bad options raise ScrubError."""
    with pytest.raises(ScrubError, match="unknown scrub action 'shout'"):
        run("shout", ["a"])
    with pytest.raises(ScrubError):
        run("pad_left", ["a"])
    with pytest.raises(ScrubError):
        run("pad_left", ["a"], width=0)
    with pytest.raises(ScrubError):
        run("pad_left", ["a"], width=3, fill="00")
    with pytest.raises(ScrubError):
        run("trim", ["a"], width=3)
