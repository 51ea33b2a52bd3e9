"""The I/O manager of processing jobs' assets (apart from ``processing``, which needs pandas:
every code location has the resource, only locations with processing jobs load pandas)."""

from __future__ import annotations

from typing import Any

import dagster as dg

OUTPUTS_IO_MANAGER = "pvt_job_outputs"


class JobOutputsIOManager(dg.ConfigurableIOManager):
    """Job outputs are written by the job itself (typed copy in the PVT home, CSV in its
    target folder, delivery targets) and read by later jobs from there: nothing is stored or
    loaded through Dagster."""

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        """Nothing to store: the job wrote its output already."""

    def load_input(self, context: dg.InputContext) -> Any:
        """Jobs read each other through the ledger, never through Dagster inputs."""
        raise dg.Failure(description="processing job outputs are not loaded through Dagster")
