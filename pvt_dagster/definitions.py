"""The code location: Definitions built from ``pvt.yaml`` (``$PVT_CONFIG`` or ``./pvt.yaml``).

With no config at all the location loads empty and logs where it looked. The ledger is
migrated here, under a lock, before any sensor or run touches it."""

from __future__ import annotations

import logging

import dagster as dg

from pvt_dagster.config import find_config_path, load_config
from pvt_dagster.defs import build_location
from pvt_dagster.errors import ConfigNotFoundError
from pvt_dagster.ledger import Ledger
from pvt_dagster.pipeline import HomeLayout
from pvt_dagster.tracking import configure_logging

log = logging.getLogger("pvt_dagster")


def build_definitions(config_path: str | None = None) -> dg.Definitions:
    """Load the config, migrate the ledger and build every feed's definitions."""
    try:
        path = find_config_path(config_path)
    except ConfigNotFoundError as exc:
        log.warning("PVT Intake loaded no feeds: %s", exc)
        return dg.Definitions()
    config = load_config(path)
    HomeLayout(config.home).ensure_home()
    configure_logging(config)  # home/logs/: debug, daily, error and critical logs
    ledger = Ledger.for_config(config)
    try:
        if not ledger.is_up_to_date():  # every run worker loads this: no lock when current
            ledger.upgrade()
    finally:
        ledger.close()
    return build_location(config)


defs = build_definitions()
