"""Helpers that drive discovery and the stages the way the sensor and the job do."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline import Intake, run_stages
from pvt_dagster.pipeline.recording import utcnow
from pvt_dagster.polling import PollResult, poll_source


def poll(intake: Intake, *, seconds_later: float = 0.0, client: str = "acme",
         source_name: str = "drop") -> PollResult:
    """One poll of a source, as the discovery sensor does it."""
    source = intake.source(client, source_name)
    try:
        return poll_source(ledger=intake.ledger, client=client,
                           client_config=intake.config.clients[client],
                           source_name=source_name, source=source,
                           now=utcnow() + timedelta(seconds=seconds_later))
    finally:
        source.close()


def settle(intake: Intake) -> list[FileRecord]:
    """Poll twice (the test config's quiesce time is 0) and return the ready files."""
    poll(intake)
    return poll(intake, seconds_later=1).ready


def process_all(intake: Intake, run_id: str = "run-1") -> dict[str, str]:
    """Settle, then run every ready file through every stage; key -> final status."""
    return {r.key: run_stages(intake, r.key, run_id=run_id) for r in settle(intake)}


def read_daily(out_dir: Path) -> list[dict[str, str]]:
    """Every row of every daily CSV in ``out_dir``."""
    rows: list[dict[str, str]] = []
    for path in sorted(out_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows
