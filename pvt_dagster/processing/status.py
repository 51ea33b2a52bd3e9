"""The status of a job's partition (DESIGN "Processing jobs"):

- ``success``: the output exists and was built from all inputs;
- ``preliminary``: an input exists but the output is not produced yet, or a daily job has not
  yet seen every input of the day (its output is then written, and marked preliminary);
- ``error``: it ran and produced no output; ``error`` says why.
"""

from __future__ import annotations

from typing import Literal

JobStatus = Literal["success", "preliminary", "error"]
SUCCESS: JobStatus = "success"
PRELIMINARY: JobStatus = "preliminary"
ERROR: JobStatus = "error"
STATUSES: tuple[JobStatus, ...] = (SUCCESS, PRELIMINARY, ERROR)


def status_of_output(*, complete: bool) -> JobStatus:
    """A written output: ``success`` when built from every input (none of them preliminary),
    else ``preliminary``."""
    return SUCCESS if complete else PRELIMINARY


def usable_as_input(status: str) -> bool:
    """Whether a job's output may feed another job (a preliminary one makes its readers
    preliminary too)."""
    return status in (SUCCESS, PRELIMINARY)
