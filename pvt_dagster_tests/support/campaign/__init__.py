"""The fault campaign (issue 15): files through real servers and real Dagster runs under
``dagster dev`` while a chaos thread injects faults; then an audit of every promise. Shared by
``bench/faults.py`` (``make bench NAMES=faults``) and the slow test
``pvt_dagster_tests/defs/test_fault_campaign.py``."""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster_tests.support.campaign.audit import Figures, audit, settled
from pvt_dagster_tests.support.campaign.chaos import Campaign
from pvt_dagster_tests.support.campaign.world import (
    World,
    build_world,
    start_dagster,
    stop_world,
)
from pvt_dagster_tests.support.environ import environment


@dataclass
class Outcome:
    """The campaign's figures and the faults it injected."""

    figures: Figures
    faults: Counter[str]
    settled: bool

    def lines(self) -> list[str]:
        """The printed report: figures, then the faults injected."""
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        state = "" if self.settled else " (NOT SETTLED: timed out waiting)"
        return [*self.figures.lines(), f"faults injected{state}: {faults}"]


def run_campaign(files: int, *, drop_seconds: float, chaos_seconds: float,
                 settle_timeout: float, root: Path | None = None,
                 progress: Callable[[str], None] = print) -> Outcome:
    """Drop ``files`` files over ``drop_seconds`` across the four sources while chaos runs
    for ``chaos_seconds``; wait (at most ``settle_timeout`` after the chaos) until every file
    and message is at an end state, then audit."""
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pvt-faults-")))
        world = build_world(root)
        stack.callback(stop_world, world)
        stack.enter_context(environment(world.env))
        start_dagster(world)
        progress(f"dagster dev up at {world.dagster_url}; dropping {files} files")
        return _campaign(world, files, drop_seconds, chaos_seconds, settle_timeout, progress)
    raise AssertionError("unreachable")


def _campaign(world: World, files: int, drop_seconds: float, chaos_seconds: float,
              settle_timeout: float, progress: Callable[[str], None]) -> Outcome:
    campaign = Campaign(world)
    started = time.monotonic()
    chaos = threading.Thread(target=campaign.chaos, args=(chaos_seconds,), name="chaos",
                             daemon=True)
    chaos.start()
    try:
        for fid in range(files):
            campaign.drop(fid)
            time.sleep(drop_seconds / files)
        chaos.join(max(0.0, chaos_seconds - (time.monotonic() - started)) + 30)
    finally:
        campaign.stop.set()
        chaos.join(60)
    progress(f"dropped {files} files; chaos over ({dict(campaign.faults)}); settling")
    deadline = time.monotonic() + settle_timeout
    done = False
    last = 0.0
    while time.monotonic() < deadline:
        try:
            if settled(world, campaign.drops):
                done = True
                break
        except sqlite3.OperationalError as exc:  # the ledger is busy; not an interrupt
            if "interrupted" in str(exc):
                raise KeyboardInterrupt from exc
        if time.monotonic() - last > 30:
            last = time.monotonic()
            progress(f"waiting for files and messages to settle "
                     f"({time.monotonic() - started:.0f} s)")
        time.sleep(2)
    figures = audit(world, campaign.drops, time.monotonic() - started)
    return Outcome(figures, campaign.faults, done)
