"""The JSON Schema of pvt.yaml: valid JSON, titled, and describing what users actually write."""

from __future__ import annotations

import json

from pvt_dagster.config import config_json_schema


def test_schema_is_json_and_mentions_clients() -> None:
    schema = config_json_schema()
    text = json.dumps(schema)
    assert json.loads(text) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "PVT Intake configuration (pvt.yaml)"
    assert "clients" in schema["properties"]
    assert "path" not in schema["properties"]  # set by the loader, never written
    assert schema["additionalProperties"] is False


def test_schema_uses_aliases_sizes_and_scrub_shorthand() -> None:
    defs = config_json_schema()["$defs"]
    assert "continue" in defs["Route"]["properties"]
    max_bytes = defs["Constraints"]["properties"]["max_bytes"]["anyOf"]
    assert {"type": "integer", "minimum": 0} in max_bytes
    assert any(option.get("type") == "string" for option in max_bytes)
    scrub = defs["ScrubStep"]["anyOf"]
    assert "strip_hyphens" in scrub[0]["enum"]
    assert any("pad_left" in option.get("properties", {}) for option in scrub[1:])
    assert "PadOptions" in defs
    sources = defs["ClientConfig"]["properties"]["sources"]["additionalProperties"]
    assert sources["discriminator"]["propertyName"] == "kind"
