"""Helpers that drive discovery and the stages the way the sensor and the job do."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import dagster as dg

from pvt_dagster.defs.launch import FileRun, run_file_job
from pvt_dagster.defs.location import build_location
from pvt_dagster.ledger import FileRecord
from pvt_dagster.pipeline import Intake
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


_DEFINITIONS: dict[tuple[str, float], dg.Definitions] = {}


def definitions_for(intake: Intake) -> dg.Definitions:
    """The code location's definitions for the intake's config (rebuilt when it changes)."""
    path = intake.config.path
    assert path is not None
    cache_key = (str(path), path.stat().st_mtime)
    if cache_key not in _DEFINITIONS:
        _DEFINITIONS[cache_key] = build_location(intake.config)
    return _DEFINITIONS[cache_key]


def run_file_dagster(intake: Intake, key: str, *, from_stage: str = "raw",
                     instance: dg.DagsterInstance | None = None) -> FileRun:
    """Run the file's feed job in this process, as the daemon's run worker does (on an
    ephemeral instance unless one is given)."""
    feed = intake.feed_of(intake.ledger.get_file(key))
    return run_file_job(definitions_for(intake), instance or dg.DagsterInstance.ephemeral(),
                        feed, key, from_stage=from_stage)


def run_file(intake: Intake, key: str, *, from_stage: str = "raw",
             instance: dg.DagsterInstance | None = None) -> str:
    """Run the file's feed job (see ``run_file_dagster``); the file's status afterwards."""
    run_file_dagster(intake, key, from_stage=from_stage, instance=instance)
    return intake.ledger.get_file(key).status


def process_all(intake: Intake) -> dict[str, str]:
    """Settle, then run every ready file's job; key -> final status."""
    return {r.key: run_file(intake, r.key) for r in settle(intake)}


def read_daily(out_dir: Path) -> list[dict[str, str]]:
    """Every row of every daily CSV in ``out_dir``."""
    rows: list[dict[str, str]] = []
    for path in sorted(out_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows
