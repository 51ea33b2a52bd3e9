"""Polling: feed matching, constraints, quiescence and discovery over observations (file keys
are assigned by the ledger; their helpers are re-exported here)."""

from __future__ import annotations

from pvt_dagster.ledger.keys import UNMATCHED_FEED, key_slug, make_file_key, slugify
from pvt_dagster.polling.constraints import constraint_violation
from pvt_dagster.polling.discovery import (
    DISAPPEARED,
    UNMATCHED,
    PollResult,
    awaiting_transfer,
    not_read_reason,
    observe,
    poll_source,
)
from pvt_dagster.polling.matching import match_feed
from pvt_dagster.polling.quiescence import is_quiesced

__all__ = [
    "DISAPPEARED",
    "UNMATCHED",
    "UNMATCHED_FEED",
    "PollResult",
    "awaiting_transfer",
    "constraint_violation",
    "is_quiesced",
    "key_slug",
    "make_file_key",
    "match_feed",
    "not_read_reason",
    "observe",
    "poll_source",
    "slugify",
]
