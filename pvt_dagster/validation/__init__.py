"""Validation: the rule catalogue, the pandera engine on Arrow-backed chunks, the Arrow text
kernels it shares with scrubbing, and masked reports.

Names are imported on first use (PEP 562): reading outcomes and planned checks (the Dagster
layer's definitions) does not pay for pandas, pandera and pyarrow, which only validating
needs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvt_dagster.lazyexports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
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
    from pvt_dagster.validation.engine import ValidationReport, build_schema, validate_file
    from pvt_dagster.validation.outcome import CheckOutcome
    from pvt_dagster.validation.report import render_markdown
    from pvt_dagster.validation.rules import predicate
    from pvt_dagster.validation.valuerules import (
        ISO_DATE,
        check_date_format,
        load_callable,
        parse_date,
    )

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

#: Which submodule defines each public name.
_SOURCES = {
    "as_arrow": "arrowtext", "as_bools": "arrowtext", "as_series": "arrowtext",
    "ascii_or_python": "arrowtext", "is_blank": "arrowtext", "per_value": "arrowtext",
    "strip": "arrowtext",
    "BUILTIN_LISTS": "catalogue", "BUILTIN_PATTERNS": "catalogue", "PlannedCheck": "catalogue",
    "column_slug": "catalogue", "planned_checks": "catalogue",
    "ValidationReport": "engine", "build_schema": "engine", "validate_file": "engine",
    "CheckOutcome": "outcome",
    "render_markdown": "report",
    "predicate": "rules",
    "ISO_DATE": "valuerules", "check_date_format": "valuerules", "load_callable": "valuerules",
    "parse_date": "valuerules",
}


__getattr__ = lazy_getattr(__name__, _SOURCES, globals())
__dir__ = lazy_dir(__all__, globals())
