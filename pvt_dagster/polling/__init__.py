"""Polling: feed matching, constraints, quiescence and discovery over observations (file keys
are assigned by the ledger; their helpers are re-exported here)."""

from __future__ import annotations

from pvt_dagster.ledger import UNMATCHED_FEED, key_slug, make_file_key, slugify
from pvt_dagster.polling.constraints import constraint_violation, name_violation
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
from pvt_dagster.polling.tick import (
    UNFINISHED,
    DiscoveryTick,
    HeldFeed,
    LastRun,
    current_run_key,
    discovery_tick,
)

__all__ = [
    "DISAPPEARED",
    "UNFINISHED",
    "UNMATCHED",
    "UNMATCHED_FEED",
    "DiscoveryTick",
    "HeldFeed",
    "LastRun",
    "PollResult",
    "awaiting_transfer",
    "constraint_violation",
    "current_run_key",
    "discovery_tick",
    "is_quiesced",
    "key_slug",
    "make_file_key",
    "match_feed",
    "name_violation",
    "not_read_reason",
    "observe",
    "poll_source",
    "slugify",
]
