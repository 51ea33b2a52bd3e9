"""A code location with one job that waits, for the run launcher's tests."""

import time

import dagster as dg


@dg.op(config_schema={"seconds": float})
def wait(context: dg.OpExecutionContext) -> None:
    """Sleep for the configured number of seconds."""
    time.sleep(context.op_config["seconds"])


@dg.job
def waiting() -> None:
    """One step that waits."""
    wait()


defs = dg.Definitions(jobs=[waiting])
