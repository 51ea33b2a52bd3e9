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

__all__ = [
    "BUILTIN_LISTS",
    "BUILTIN_PATTERNS",
    "CheckOutcome",
    "PlannedCheck",
    "ValidationReport",
    "build_schema",
    "column_slug",
    "planned_checks",
    "render_markdown",
    "validate_file",
]
