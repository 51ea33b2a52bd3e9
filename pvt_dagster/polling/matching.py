"""Which feed a file name belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from pvt_dagster.config import FeedConfig


def match_feed(name: str, feeds: Mapping[str, FeedConfig], source: str) -> str | None:
    """The first feed (config order) of ``source`` whose glob matches the file name, or None."""
    for feed_name, feed in feeds.items():
        if feed.source == source and fnmatchcase(name, feed.pattern):
            return feed_name
    return None
