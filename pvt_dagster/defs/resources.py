"""The one resource: where the ``pvt.yaml`` is. Secrets never sit in a resource field; the
managers resolve them when used."""

from __future__ import annotations

import os
import threading

import dagster as dg

from pvt_dagster.pipeline import Intake

_CACHE: dict[tuple[int, str], Intake] = {}
_LOCK = threading.Lock()


class PvtIntakeResource(dg.ConfigurableResource):
    """The loaded ``pvt.yaml`` with its ledger and keystore, one per process."""

    config_path: str

    def get(self) -> Intake:
        """The Intake for this config path, opened once per process and shared by threads."""
        cache_key = (os.getpid(), self.config_path)
        with _LOCK:
            if cache_key not in _CACHE:
                _CACHE[cache_key] = Intake.from_path(self.config_path)
            return _CACHE[cache_key]
