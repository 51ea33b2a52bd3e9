"""Slugs and file keys are safe whatever the client names its files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pvt_dagster.ledger.keys import make_file_key, slugify

T0 = datetime(2024, 5, 1, 12, 30, 45, tzinfo=UTC)
SAFE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


@pytest.mark.parametrize("name,slug", [
    ("members_2024-05-01.csv.pgp", "members_2024-05-01.csv.pgp"),
    ("../../etc/passwd", "etc_passwd"),
    ("a...b", "a.b"),
    ("café résumé.csv", "cafe_resume.csv"),
    ("with spaces.csv", "with_spaces.csv"),
    ("tab\tand\x00nul\x1b[31m.csv", "tab_and_nul_31m.csv"),
    (".hidden", "hidden"),
    ("-rf", "rf"),
    ("...", "file"),
    ("", "file"),
    ("日本語", "file"),
    ("trailing.", "trailing"),
    ("members_123-45-6789.csv", "members_xxx-xx-6789.csv"),
    ("members_123456789_v2.csv", "members_xxxxx6789_v2.csv"),
    ("call (555) 123-4567.csv", "call_xxx_xxx-4567.csv"),
])
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("name", [
    "../../etc/passwd", "a...b", "\x01\x02ctrl\x7f", "x" * 1000, "y" * 1000 + ".csv.pgp",
    "café résumé.csv", "  spaced  out  ", "a/b\\c:d*e?f", "..\\..\\windows", "....csv",
    "\ufb01le \uff21\uff22.csv", "\u202eexe.csv",
])
def test_slug_properties(name: str) -> None:
    slug = slugify(name)
    assert SAFE.match(slug), slug
    assert len(slug) <= 80
    assert "..." not in slug and ".." not in slug
    assert not any(ord(c) < 32 or ord(c) == 127 for c in slug)


def test_long_names_keep_their_extension() -> None:
    slug = slugify("y" * 1000 + ".pgp")
    assert len(slug) == 80 and slug.endswith("y.pgp")


def test_key_format_and_clash_suffix() -> None:
    taken: set[str] = set()
    keys = []
    for _ in range(3):
        key = make_file_key("acme", "members", T0, "members 1.csv", taken.__contains__)
        taken.add(key)
        keys.append(key)
    assert keys == ["acme/members/20240501T123045Z-members_1.csv",
                    "acme/members/20240501T123045Z-members_1.csv-2",
                    "acme/members/20240501T123045Z-members_1.csv-3"]


def test_unmatched_key_and_utc_conversion() -> None:
    local = T0.astimezone(timezone(timedelta(hours=-5)))
    key = make_file_key("acme", None, local, "x.csv", lambda _k: False)
    assert key == "acme/_unmatched/20240501T123045Z-x.csv"


def test_naive_first_seen_is_refused() -> None:
    with pytest.raises(ValueError):
        make_file_key("acme", "members", datetime(2024, 5, 1), "x", lambda _k: False)
