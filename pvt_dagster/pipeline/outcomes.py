"""What a stage can end in besides success, as values: a refused file, a file that changed
at its source and waits to settle again, and a file blocked by failure rules. Failures of the
stage itself stay exceptions (``PvtError``): they fail the step."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refused:
    """The file was refused (duplicate, constraint, gone from its source); it stays there."""

    reason: str
    outcome: str = "rejected"


@dataclass(frozen=True)
class Waiting:
    """The file changed at its source after it settled; discovery waits for it again."""

    reason: str
    outcome: str = "waiting"


@dataclass(frozen=True)
class Blocked:
    """Failure rules found problems in the file; scrubbing and delivery do not run."""

    reason: str
    checks: tuple[str, ...] = ()
    outcome: str = "blocked"


@dataclass(frozen=True)
class Held:
    """The file's feed is on hold: nothing runs until it is released (or a run is forced)."""

    reason: str
    outcome: str = "on_hold"


#: The stage did not produce its output, and that is not a failure of the stage.
NotDone = Refused | Waiting | Blocked | Held
