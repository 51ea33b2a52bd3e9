"""The per-file stages, shared by the Dagster assets and the ``pvt`` command: each wires one
manager to the ledger and records what happened."""

from __future__ import annotations

from pvt_dagster.pipeline.decrypted import DecryptedResult, run_decrypted
from pvt_dagster.pipeline.delivered import DeliveredResult, run_delivered
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.pipeline.layout import HomeLayout
from pvt_dagster.pipeline.raw import RawResult, run_raw
from pvt_dagster.pipeline.scrubbed import ScrubbedResult, run_scrubbed
from pvt_dagster.pipeline.validated import ValidatedResult, run_validated

__all__ = [
    "DecryptedResult",
    "DeliveredResult",
    "HomeLayout",
    "Intake",
    "RawResult",
    "ScrubbedResult",
    "ValidatedResult",
    "run_decrypted",
    "run_delivered",
    "run_raw",
    "run_scrubbed",
    "run_validated",
]
