"""The one resource: where the ``pvt.yaml`` is. Secrets never sit in a resource field; the
managers resolve them when used. Each run, sensor tick and hook context opens its own Intake
when it starts and closes it when it ends (Dagster's resource lifecycle), so nothing is shared
between the threads that evaluate sensors."""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from pvt_dagster.defs.event_log import HeldEventLog
from pvt_dagster.pipeline import Intake


class PvtIntakeResource(dg.ConfigurableResource["PvtIntakeResource"]):
    """The loaded ``pvt.yaml`` with its ledger and keystore, for one run or sensor tick."""

    config_path: str
    _intake: Intake | None = PrivateAttr(default=None)
    _event_log: HeldEventLog | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Load the config (the ledger opens on first use); in a run, hold its SQLite event
        log open (``event_log.py``)."""
        self._intake = Intake.from_path(self.config_path)
        if context.run is not None:
            self._event_log = HeldEventLog(context.instance, context.run.run_id)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Release the ledger's connections (the keystore's gpg-agent is left to serve
        other runs on the same keystore)."""
        if self._intake is not None:
            self._intake.close(stop_agent=False)
            self._intake = None
        if self._event_log is not None:
            self._event_log.close()
            self._event_log = None

    def get(self) -> Intake:
        """The Intake of this run or tick."""
        if self._intake is None:  # used outside Dagster's lifecycle (tests, scripts)
            self._intake = Intake.from_path(self.config_path)
        return self._intake
