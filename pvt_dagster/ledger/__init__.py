"""The ledger: the authoritative record of every file, its manifest chain and what happened."""

from __future__ import annotations

from pvt_dagster.ledger.chain import GENESIS, canonical_json, event_hash
from pvt_dagster.ledger.channel_sends import DeliveryRecord
from pvt_dagster.ledger.events import OutputRecord
from pvt_dagster.ledger.files import FileLine
from pvt_dagster.ledger.jobs import JobOutputRecord
from pvt_dagster.ledger.keys import UNMATCHED_FEED, key_slug, make_file_key, slugify
from pvt_dagster.ledger.push import PushRefusalRecord
from pvt_dagster.ledger.records import (
    PHASES,
    ChainProblem,
    CheckResultInput,
    CheckResultRecord,
    EventRecord,
    FileRecord,
    FileUpdate,
    MessageRecord,
    NewFile,
    ObservationRecord,
    OperatorActionRecord,
    ScrubChangeInput,
    ScrubChangeRecord,
)
from pvt_dagster.ledger.retention import PURGE_ACTION, OutputState
from pvt_dagster.ledger.store import Ledger
from pvt_dagster.ledger.timeutil import ensure_utc, utcnow
from pvt_dagster.ledger.tracking import ErrorRecord, HoldRecord, ProcessRunRecord

__all__ = [
    "GENESIS",
    "PHASES",
    "PURGE_ACTION",
    "UNMATCHED_FEED",
    "ChainProblem",
    "CheckResultInput",
    "CheckResultRecord",
    "DeliveryRecord",
    "ErrorRecord",
    "EventRecord",
    "FileLine",
    "FileRecord",
    "FileUpdate",
    "HoldRecord",
    "JobOutputRecord",
    "Ledger",
    "MessageRecord",
    "NewFile",
    "ObservationRecord",
    "OperatorActionRecord",
    "OutputRecord",
    "OutputState",
    "ProcessRunRecord",
    "PushRefusalRecord",
    "ScrubChangeInput",
    "ScrubChangeRecord",
    "canonical_json",
    "ensure_utc",
    "event_hash",
    "key_slug",
    "make_file_key",
    "slugify",
    "utcnow",
]
