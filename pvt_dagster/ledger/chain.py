"""The manifest hash chain: canonical JSON of an event's fields, hashed with the previous hash."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pvt_dagster.ledger.records import ChainProblem
from pvt_dagster.ledger.timeutil import iso_z

GENESIS = "0" * 64
HASHED_FIELDS = (
    "key", "seq", "stage", "action", "input_sha256", "output_sha256", "bytes", "rows",
    "started_at", "finished_at", "outcome", "error", "details", "prev_hash",
)
#: Version 2 (migration 0003) also hashes the input and output names and the version itself,
#: so an event cannot be passed off as version 1 without breaking its hash.
HASHED_FIELDS_V2 = (*HASHED_FIELDS, "input_name", "output_name", "hash_version")
HASH_VERSION = 2
_FIELDS_BY_VERSION = {1: HASHED_FIELDS, 2: HASHED_FIELDS_V2}


def json_safe(value: Any) -> Any:
    """A JSON-native copy: datetimes as ISO Z, paths as text, non-finite floats as null."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def canonical_json(fields: Mapping[str, Any]) -> str:
    """Sorted keys, no whitespace, datetimes as ISO 8601 UTC with ``Z``."""
    return json.dumps(json_safe(fields), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The sha256 (hex) of the canonical JSON of an event's hashed fields (the set of fields
    depends on ``hash_version``: 1 when absent)."""
    version = fields.get("hash_version") or 1
    names = _FIELDS_BY_VERSION.get(version)
    if names is None:
        return f"unknown hash_version {version}"
    payload = {name: fields.get(name) for name in names}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainEvent:
    """The stored fields of one event, as verification reads them."""

    seq: int
    stage: str
    action: str
    input_sha256: str | None
    output_sha256: str | None
    bytes: int | None
    rows: int | None
    started_at: datetime
    finished_at: datetime
    outcome: str
    error: str | None
    details: Any
    prev_hash: str
    hash: str
    input_name: str | None = None
    output_name: str | None = None
    hash_version: int = 1

    def hashed_fields(self, key: str) -> dict[str, Any]:
        """The fields that enter the hash, with the file key."""
        data = {name: getattr(self, name) for name in HASHED_FIELDS_V2 if name != "key"}
        data["key"] = key
        return data


def verify_chain(
    key: str, chain_head: str | None, event_count: int, events: Iterable[ChainEvent]
) -> list[ChainProblem]:
    """Problems in one file's chain: hashes, seq continuity, links, head and count."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    n = 0
    for event in events:
        n += 1
        if event.seq != n:
            problems.append(ChainProblem(key, event.seq, f"seq {event.seq} where {n} expected"))
        if event.prev_hash != prev:
            problems.append(ChainProblem(key, event.seq, "prev_hash does not link to the "
                                         "previous event"))
        if event_hash(event.hashed_fields(key)) != event.hash:
            problems.append(ChainProblem(key, event.seq, "hash mismatch: the event was altered"))
        prev = event.hash
    if n != event_count:
        problems.append(ChainProblem(key, None, f"{n} events where the file records "
                                     f"{event_count}: events were added or deleted"))
    expected_head = prev if n else None
    if chain_head != expected_head and not (n == 0 and chain_head == GENESIS):
        problems.append(ChainProblem(key, None, "chain head does not match the last event"))
    return problems
