"""Built-in patterns and lists, column slugs and the checks planned from a feed's config."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.validation import BUILTIN_LISTS, BUILTIN_PATTERNS, column_slug, planned_checks
from pvt_dagster.validation.catalogue import PlannedCheck
from pvt_dagster.validation.rules import predicate


def feed(columns: dict[str, Any]) -> FeedConfig:
    """A minimal feed with these columns."""
    return FeedConfig.model_validate(
        {"source": "drop", "pattern": "*.csv", "decrypt": "none", "columns": columns}
    )


def builtin_ok(pattern: str, value: str) -> bool:
    """Whether the engine's predicate for a built-in pattern accepts one value."""
    (check,) = planned_checks(feed({"c": {"checks": [{"rule": "pattern", "pattern": pattern}]}}))
    return bool(predicate(check)(pd.Series([value], dtype=object)).iloc[0])


GOOD = [
    ("ssn", "123-45-6789"), ("ssn", "123456789"), ("ssn", "665-01-0001"),
    ("us_phone", "(555) 123-4567"), ("us_phone", "555-123-4567"), ("us_phone", "555.123.4567"),
    ("us_phone", "5551234567"), ("us_phone", "+1 (555) 123-4567"), ("us_phone", "1-555-123-4567"),
    ("us_phone", "(555)123-4567"), ("us_phone", "555 123 4567"),
    ("zip", "02139"), ("zip", "02139-4307"),
    ("email", "jane.doe@example.org"), ("email", "a+tag@mail.example.co.uk"),
    ("date", "2024-02-29"), ("date", "1900-01-31"), ("date", "9999-12-31"), ("date", "1600-02-29"),
]
BAD = [
    ("ssn", "000-12-3456"), ("ssn", "666-12-3456"), ("ssn", "912-34-5678"),
    ("ssn", "123-00-4567"), ("ssn", "123-45-0000"), ("ssn", "123-456789"), ("ssn", "12-345-6789"),
    ("ssn", "123-45-678"), ("ssn", "abc-de-fghi"), ("ssn", " 123-45-6789"),
    ("us_phone", "555-1234"), ("us_phone", "(555 123-4567"), ("us_phone", "55512345678"),
    ("us_phone", "phone"), ("us_phone", "555/123/4567"),
    ("zip", "0213"), ("zip", "02139-43"), ("zip", "021394307"), ("zip", "ABCDE"),
    ("email", "jane"), ("email", "jane@"), ("email", "jane@example"), ("email", "a@@b.org"),
    ("email", "a b@example.org"), ("email", "a..b@example.org"),
    ("date", "2023-02-29"), ("date", "2024-13-01"), ("date", "2024-04-31"), ("date", "24-01-01"),
    ("date", "2024/01/01"), ("date", "1900-02-29"), ("date", "0000-01-01"),
]


@pytest.mark.parametrize(("pattern", "value"), GOOD)
def test_builtin_pattern_accepts(pattern: str, value: str) -> None:
    """Each built-in pattern accepts well-formed values."""
    assert builtin_ok(pattern, value)


@pytest.mark.parametrize(("pattern", "value"), BAD)
def test_builtin_pattern_rejects(pattern: str, value: str) -> None:
    """Each built-in pattern rejects malformed or obviously invalid values."""
    assert not builtin_ok(pattern, value)


def test_patterns_are_valid_regexes() -> None:
    """Every built-in pattern compiles (the config checker relies on that)."""
    for regex in BUILTIN_PATTERNS.values():
        re.compile(regex)
    assert set(BUILTIN_PATTERNS) == {"ssn", "us_phone", "zip", "email", "date"}


def test_builtin_lists() -> None:
    """us_states is the 50 states and DC; territories add PR, GU, VI, AS, MP."""
    states = BUILTIN_LISTS["us_states"]
    assert len(states) == 51 and "DC" in states and "PR" not in states
    extra = BUILTIN_LISTS["us_states_and_territories"] - states
    assert extra == {"PR", "GU", "VI", "AS", "MP"}


@pytest.mark.parametrize(
    ("name", "slug"),
    [("SSN", "ssn"), ("First Name", "first_name"), ("  e-mail  ", "e_mail"),
     ("2nd phone", "c_2nd_phone"), ("***", "column"), ("", "column"), ("Zip/Code#", "zip_code")],
)
def test_column_slug(name: str, slug: str) -> None:
    """Slugs are lowercase identifier fragments, never empty, never starting with a digit."""
    assert column_slug(name) == slug


def test_planned_checks_names_and_severities() -> None:
    """required: true adds a failure check; repeated rules get _2, _3; order follows config."""
    checks = planned_checks(feed({
        "SSN": {"required": True, "checks": [
            {"rule": "pattern", "pattern": "ssn"},
            {"rule": "pattern", "regex": "[0-9]{9}", "severity": "warning"},
            {"rule": "pattern", "regex": "1.*", "severity": "information"},
        ]},
        "state": {"checks": [
            {"rule": "in_list", "values": "us_states", "severity": "warning"},
            {"rule": "required", "severity": "warning"},
        ]},
    }))
    assert [(c.name, c.rule, c.column, c.severity) for c in checks] == [
        ("ssn__required", "required", "SSN", "failure"),
        ("ssn__pattern", "pattern", "SSN", "failure"),
        ("ssn__pattern_2", "pattern", "SSN", "warning"),
        ("ssn__pattern_3", "pattern", "SSN", "information"),
        ("state__in_list", "in_list", "state", "warning"),
        ("state__required", "required", "state", "warning"),
    ]
    assert checks[0].config is None
    assert checks[1].description == "SSN matches the built-in pattern ssn (failure)"
    assert checks[4].description == "state is in the built-in list us_states (warning)"
    assert all(isinstance(c, PlannedCheck) for c in checks)


def test_planned_checks_slug_collisions_get_distinct_names() -> None:
    """Different columns with the same slug never share a check name."""
    checks = planned_checks(feed({
        "First Name": {"required": True},
        "first_name": {"required": True, "checks": [{"rule": "pattern", "regex": "x"}]},
        "FIRST-NAME": {"checks": [{"rule": "pattern", "regex": "y"}]},
    }))
    names = [c.name for c in checks]
    assert len(set(names)) == len(names)
    assert names == [
        "first_name__required", "first_name__required_2", "first_name__pattern",
        "first_name__pattern_2",
    ]
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)


def test_no_checks_for_plain_columns() -> None:
    """A column with neither required nor checks plans nothing."""
    assert planned_checks(feed({"a": {}, "b": {"pii": False}})) == []
