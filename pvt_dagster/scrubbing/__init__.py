"""Scrubbing: vectorised fix-up actions, the chunked engine and its audit of changes.

Names are imported on first use (PEP 562): the Dagster layer's definitions do not pay for
pandas and pyarrow, which only scrubbing needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvt_dagster.lazyexports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
    from pvt_dagster.scrubbing.actions import ACTIONS, apply_action, apply_step
    from pvt_dagster.scrubbing.engine import ScrubChange, ScrubReport, scrub_file

__all__ = ["ACTIONS", "ScrubChange", "ScrubReport", "apply_action", "apply_step", "scrub_file"]

#: Which submodule defines each public name.
_SOURCES = {
    "ACTIONS": "actions", "apply_action": "actions", "apply_step": "actions",
    "ScrubChange": "engine", "ScrubReport": "engine", "scrub_file": "engine",
}


__getattr__ = lazy_getattr(__name__, _SOURCES, globals())
__dir__ = lazy_dir(__all__, globals())
