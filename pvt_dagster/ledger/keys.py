"""File keys: ``<client>/<feed>/<UTC yyyymmddTHHMMSSZ>-<slug>``, unique, safe as path parts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

from pvt_dagster.masking import mask_pii

UNMATCHED_FEED = "_unmatched"
MAX_SLUG = 80
_MAX_EXT = 16
_DISALLOWED = re.compile(r"[^A-Za-z0-9._-]+")
_DOTS = re.compile(r"\.{2,}")


def _clean(text: str) -> str:
    text = _DISALLOWED.sub("_", text)
    text = _DOTS.sub(".", text)
    return text.lstrip("._-").rstrip(".")


def slugify(name: str) -> str:
    """A safe slug of an untrusted file name: ASCII letters, digits, ``.``, ``_``, ``-``, with
    digit runs shaped like an SSN or a phone number masked (``members_xxx-xx-6789.csv``): the
    key travels into Dagster's storage, run tags and messages; the name stays in the ledger."""
    decomposed = unicodedata.normalize("NFKD", mask_pii(name, star="x"))
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    slug = _clean(ascii_text)
    if len(slug) > MAX_SLUG:
        stem, dot, ext = slug.rpartition(".")
        if dot and stem and 0 < len(ext) < _MAX_EXT:
            slug = _clean(stem[: MAX_SLUG - len(ext) - 1]) + "." + ext
        else:
            slug = _clean(slug[:MAX_SLUG])
        slug = _clean(slug[:MAX_SLUG])
    return slug or "file"


def key_timestamp(first_seen: datetime) -> str:
    """``yyyymmddTHHMMSSZ`` in UTC; a naive datetime is refused."""
    if first_seen.tzinfo is None:
        raise ValueError("first_seen must be timezone-aware")
    return first_seen.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def make_file_key(
    client: str,
    feed: str | None,
    first_seen: datetime,
    name: str,
    taken: Callable[[str], bool],
) -> str:
    """The key of a newly seen file, with ``-2``, ``-3`` ... added while ``taken`` says so."""
    base = f"{client}/{feed or UNMATCHED_FEED}/{key_timestamp(first_seen)}-{slugify(name)}"
    key, n = base, 1
    while taken(key):
        n += 1
        key = f"{base}-{n}"
    return key


def key_slug(key: str) -> str:
    """The last segment of a file key (the vault file name)."""
    return key.rsplit("/", 1)[-1]
