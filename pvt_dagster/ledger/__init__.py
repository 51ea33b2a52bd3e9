"""The ledger: the authoritative record of every file, its manifest chain and what happened."""

from __future__ import annotations

from pvt_dagster.ledger.chain import GENESIS, canonical_json, event_hash
from pvt_dagster.ledger.records import (
    PHASES,
    ChainProblem,
    CheckResultInput,
    CheckResultRecord,
    EventRecord,
    FileRecord,
    FileUpdate,
    MessageRecord,
    ObservationRecord,
    OperatorActionRecord,
    ScrubChangeInput,
    ScrubChangeRecord,
)
from pvt_dagster.ledger.store import Ledger

__all__ = [
    "GENESIS",
    "PHASES",
    "ChainProblem",
    "CheckResultInput",
    "CheckResultRecord",
    "EventRecord",
    "FileRecord",
    "FileUpdate",
    "Ledger",
    "MessageRecord",
    "ObservationRecord",
    "OperatorActionRecord",
    "ScrubChangeInput",
    "ScrubChangeRecord",
    "canonical_json",
    "event_hash",
]
