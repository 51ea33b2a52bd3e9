"""What one rule found in one file (kept apart from the engine so that reading outcomes, in
reports and the Dagster layer, does not import pandas and pandera)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pvt_dagster.domain import RuleSeverity


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one planned check on one file: counts, first rows and masked samples."""

    check_name: str
    rule: str
    column: str
    severity: RuleSeverity
    passed: bool
    failures: int
    rows: list[int] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    message: str = ""
