"""The JSON Schema of ``pvt.yaml``, for editors (``pvt config schema``)."""

from __future__ import annotations

from typing import Any

from pvt_dagster.config.models import (
    OPTION_SCRUB_ACTIONS,
    SIMPLE_SCRUB_ACTIONS,
    PvtConfig,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "PVT Intake configuration (pvt.yaml)"
_SIZE_TEXT = r"^\s*\d+(\.\d+)?\s*([kKmMgGtT]i?[bB]|[bB])?\s*$"


def _size_schema(minimum: int) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "integer", "minimum": minimum},
            {"type": "string", "pattern": _SIZE_TEXT,
             "description": "bytes, or a size such as 500MB, 2GB (powers of 1000) or 512KiB"},
            {"type": "null"},
        ],
        "default": None,
    }


def _scrub_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """What users write for a scrub step: a name, or ``{pad_left: {width: 10, fill: "0"}}``."""
    with_options = []
    for action, model in sorted(OPTION_SCRUB_ACTIONS.items()):
        options = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.setdefault(model.__name__, options)
        with_options.append({
            "type": "object",
            "properties": {action: {"$ref": f"#/$defs/{model.__name__}"}},
            "required": [action],
            "additionalProperties": False,
        })
    return {
        "description": "A scrub action: a name, or {name: {options}}.",
        "anyOf": [{"type": "string", "enum": sorted(SIMPLE_SCRUB_ACTIONS)}, *with_options],
    }


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of pvt.yaml, as users write it (sizes as text, scrub steps by name)."""
    schema = PvtConfig.model_json_schema(by_alias=True, mode="validation")
    schema.pop("title", None)
    schema = {"$schema": SCHEMA_DIALECT, "title": TITLE, **schema}
    schema["properties"].pop("path", None)  # set by the loader, not written by users
    defs = schema["$defs"]
    constraints = defs["Constraints"]["properties"]
    constraints["max_bytes"] = {
        **_size_schema(0),
        "description": "the largest file taken; unset: 2GiB. A transfer stops as soon as it "
                       "passes the smaller of this and the listed size."}
    constraints["min_bytes"] = _size_schema(0)
    for text_format in ("CsvFormat", "FixedWidthFormat"):
        defs[text_format]["properties"]["max_line_bytes"] = {
            "anyOf": _size_schema(1)["anyOf"][:2], "default": "1MiB",
            "description": "the longest line read; a longer one is a parse error"}
    defs["ScrubStep"] = _scrub_schema(defs)
    secret = defs["SecretRef"]
    secret["minProperties"] = 1
    secret["maxProperties"] = 1
    return schema
