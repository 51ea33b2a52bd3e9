"""Scrubbing: vectorised fix-up actions, the chunked engine and its audit of changes."""

from __future__ import annotations

from pvt_dagster.scrubbing.actions import ACTIONS, apply_action, apply_step
from pvt_dagster.scrubbing.engine import ScrubChange, ScrubReport, scrub_file

__all__ = ["ACTIONS", "ScrubChange", "ScrubReport", "apply_action", "apply_step", "scrub_file"]
