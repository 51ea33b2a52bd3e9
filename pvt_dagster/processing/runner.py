"""Running a job's script over its input frames: the result checked (a frame, or one frame
per value for split scripts) against the job's ``columns`` contract, as a typed outcome. A
failure is a ProcessingError whose text names the script and never quotes a data value."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pvt_dagster.config import OutputColumn
from pvt_dagster.errors import ProcessingError, ScriptError
from pvt_dagster.masking import mask_message
from pvt_dagster.processing.builtins import Frames
from pvt_dagster.processing.contract import check_contract
from pvt_dagster.processing.scripts import LoadedScript

#: The label of a script's only output frame (split scripts label theirs by value).
SINGLE = ""


@dataclass(frozen=True)
class ScriptOutput:
    """What a script produced: its frame(s), rows and seconds."""

    frames: dict[str, pd.DataFrame]
    split: bool
    seconds: float

    @property
    def rows(self) -> int:
        """Rows over every output frame."""
        return sum(len(f) for f in self.frames.values())

    def combined(self) -> pd.DataFrame:
        """Every output frame stacked (what the UI's type check and statistics look at)."""
        if not self.split:
            return self.frames[SINGLE]
        if not self.frames:
            return pd.DataFrame()
        return pd.concat(list(self.frames.values()), ignore_index=True)


def _as_frames(result: Any, script: LoadedScript) -> tuple[dict[str, pd.DataFrame], bool]:
    """The script's return value as labelled frames; ScriptError if it is not frames."""
    if isinstance(result, pd.DataFrame):
        return {SINGLE: result}, False
    if isinstance(result, Mapping) and all(isinstance(k, str) and k and isinstance(
            v, pd.DataFrame) for k, v in result.items()):
        return dict(result), True
    raise ScriptError(f"{script.label} returned {type(result).__name__}, not a DataFrame "
                      "(or a mapping of names to DataFrames)")


def run_script(script: LoadedScript, frames: Frames, options: Mapping[str, Any],
               columns: Mapping[str, OutputColumn], *, job: str) -> ScriptOutput:
    """Call the script and check what it returns against the contract."""
    started = time.perf_counter()
    try:
        result = script.function(frames, dict(options))
    except ProcessingError:
        raise
    except Exception as exc:  # the client's code, or pandas: translated and masked
        raise ScriptError(f"{script.label} raised {type(exc).__name__}: "
                          f"{mask_message(str(exc))}") from None
    labelled, split = _as_frames(result, script)
    check_contract(labelled, columns, job=job)
    return ScriptOutput(labelled, split, time.perf_counter() - started)
