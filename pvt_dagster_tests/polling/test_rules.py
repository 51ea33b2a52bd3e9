"""Pure polling rules: quiescence, feed matching and constraints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pvt_dagster.config.models import Constraints, FeedConfig
from pvt_dagster.polling import constraint_violation, is_quiesced, match_feed

T0 = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.mark.parametrize("seen,elapsed,quiesce,ready", [
    (1, 1000, 60, False),   # seen once: never ready, however old
    (2, 59, 60, False),     # twice, not long enough
    (2, 60, 60, True),
    (5, 600, 60, True),
    (2, 0, 0, True),        # quiesce 0: the second observation is enough
    (1, 0, 0, False),
])
def test_is_quiesced(seen: int, elapsed: int, quiesce: int, ready: bool) -> None:
    now = T0 + timedelta(seconds=elapsed)
    assert is_quiesced(stable_since=T0, seen_count=seen, now=now,
                       quiesce_seconds=quiesce) is ready


def _feed(source: str, pattern: str) -> FeedConfig:
    return FeedConfig(source=source, pattern=pattern, decrypt="none")


def test_match_feed_first_in_config_order() -> None:
    feeds = {
        "claims": _feed("drop", "claims_*.csv"),
        "members": _feed("drop", "members_*.csv*"),
        "all": _feed("drop", "*.csv"),
        "elsewhere": _feed("sftp", "*"),
    }
    assert match_feed("members_1.csv.pgp", feeds, "drop") == "members"
    assert match_feed("claims_1.csv", feeds, "drop") == "claims"
    assert match_feed("other.csv", feeds, "drop") == "all"
    assert match_feed("MEMBERS_1.CSV", feeds, "drop") is None  # case-sensitive
    assert match_feed("readme.txt", feeds, "drop") is None
    assert match_feed("readme.txt", feeds, "sftp") == "elsewhere"


def test_constraints() -> None:
    default = Constraints()
    assert constraint_violation(0, "a.csv", default) == "empty file (0 bytes)"
    assert constraint_violation(1, "a.csv", default) is None
    assert constraint_violation(0, "a.csv", Constraints(min_bytes=0)) is None
    assert "too small" in (constraint_violation(5, "a", Constraints(min_bytes=10)) or "")
    too_big = constraint_violation(2001, "a.csv", Constraints.model_validate({"max_bytes": "2KB"}))
    assert too_big == "too large: 2001 bytes, the limit is 2000 bytes"
    formats = Constraints(formats=[".csv", "pgp"])
    assert constraint_violation(5, "A.CSV", formats) is None
    assert constraint_violation(5, "a.csv.pgp", formats) is None
    assert "allowed suffix" in (constraint_violation(5, "a.xlsx", formats) or "")
