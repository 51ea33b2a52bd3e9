"""Configuration: the models of ``pvt.yaml`` and the loader that reads it."""

from __future__ import annotations

from pvt_dagster.config.check import ConfigReport, check_config_file
from pvt_dagster.config.loader import find_config_path, load_config, load_with_lines
from pvt_dagster.config.models import (
    SUPPORTED_DELIVERY_KINDS,
    SUPPORTED_SOURCE_KINDS,
    ClientConfig,
    ColumnConfig,
    Constraints,
    CsvFormat,
    DailyCsvTarget,
    DecryptConfig,
    FeedConfig,
    FeedRef,
    LocalSource,
    PvtConfig,
    RuleConfig,
    ScrubStep,
    SecretRef,
)
from pvt_dagster.config.schema import config_json_schema
from pvt_dagster.config.sizes import parse_size
from pvt_dagster.config.yamlsource import SourceMap, dotted, lines_for

__all__ = [
    "SUPPORTED_DELIVERY_KINDS",
    "SUPPORTED_SOURCE_KINDS",
    "ClientConfig",
    "ColumnConfig",
    "ConfigReport",
    "Constraints",
    "CsvFormat",
    "DailyCsvTarget",
    "DecryptConfig",
    "FeedConfig",
    "FeedRef",
    "LocalSource",
    "PvtConfig",
    "RuleConfig",
    "ScrubStep",
    "SecretRef",
    "SourceMap",
    "check_config_file",
    "config_json_schema",
    "dotted",
    "find_config_path",
    "lines_for",
    "load_config",
    "load_with_lines",
    "parse_size",
]
