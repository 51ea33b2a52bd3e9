"""A step failure the Dagster UI shows as its message alone, with no stack trace.

Dagster 1.13 serialises every exception that ends a step, ``dg.Failure`` included, with the
stack of the frames it passed through (its own executor's, then ours), and the UI prints that
stack under ``STEP_FAILURE`` and ``RUN_FAILURE`` (``FailureContent``: "Stack Trace: File ...").
For a file blocked by a failure rule or a partition no file has, that stack says nothing a
reader needs. ``QuietFailure`` is still a ``dg.Failure`` (its description and metadata reach the
step's failure data, retries are not attempted, hooks see it), and it carries its own
serialised error with an empty stack, which Dagster's error serialiser uses as is: the one
exception type it takes a ready-made error from (``DagsterUserCodeProcessError``, the error of a
user-code process, whose own stack was already reported there). The tests pin both halves
(pvt_dagster_tests/defs/test_file_story.py, and the browser test on ``dagster dev``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterUserCodeProcessError
from dagster_shared.error import SerializableErrorInfo


class QuietFailure(DagsterUserCodeProcessError, dg.Failure):
    """A ``dg.Failure`` (no retries) whose recorded error is its description, without a stack."""

    def __init__(self, description: str, metadata: Mapping[str, Any] | None = None) -> None:
        dg.Failure.__init__(self, description=description, metadata=metadata,
                            allow_retries=False)
        self.user_code_process_error_infos = [
            SerializableErrorInfo(message=f"{description}\n", stack=[], cls_name="Failure")]

    def __str__(self) -> str:
        return self.description or ""
