"""Validation: the rule catalogue, chunked reading, the pandera engine and masked reports."""

from __future__ import annotations

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
    "build_schema",
    "check_date_format",
    "column_slug",
    "load_callable",
    "parse_date",
    "planned_checks",
    "predicate",
    "render_markdown",
    "validate_file",
]
