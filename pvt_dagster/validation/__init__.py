"""Validation: the rule catalogue, the pandera engine on Arrow-backed chunks, the Arrow text
kernels it shares with scrubbing, and masked reports."""

from __future__ import annotations

from pvt_dagster.validation.arrowtext import (
    as_arrow,
    as_bools,
    as_series,
    ascii_or_python,
    is_blank,
    per_value,
    strip,
)
from pvt_dagster.validation.catalogue import (
    BUILTIN_LISTS,
    BUILTIN_PATTERNS,
    PlannedCheck,
    column_slug,
    planned_checks,
)
from pvt_dagster.validation.engine import (
    CheckOutcome,
    ValidationReport,
    build_schema,
    validate_file,
)
from pvt_dagster.validation.report import render_markdown
from pvt_dagster.validation.rules import predicate
from pvt_dagster.validation.valuerules import ISO_DATE, check_date_format, load_callable, parse_date

__all__ = [
    "BUILTIN_LISTS",
    "BUILTIN_PATTERNS",
    "ISO_DATE",
    "CheckOutcome",
    "PlannedCheck",
    "ValidationReport",
    "as_arrow",
    "as_bools",
    "as_series",
    "ascii_or_python",
    "build_schema",
    "check_date_format",
    "column_slug",
    "is_blank",
    "load_callable",
    "parse_date",
    "per_value",
    "planned_checks",
    "predicate",
    "render_markdown",
    "strip",
    "validate_file",
]
