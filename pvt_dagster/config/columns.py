"""Formats, column rules and scrub steps of a feed."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from pvt_dagster.config.base import Model, SecretRef, Severity


class CsvFormat(Model):
    """A delimited text file."""

    type: Literal["csv"] = "csv"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be exactly one character")
        return value


class RuleConfig(Model):
    """One check on a column: a rule name, its options and a severity."""

    rule: Literal["required", "pattern", "in_list"]
    severity: Severity = "failure"
    pattern: str | None = None  # a built-in name (ssn, us_phone, zip, email, date)
    regex: str | None = None  # a custom regular expression (full match)
    values: list[str] | str | SecretRef | None = None  # list, built-in list name, or {file: PATH}
    ignore_case: bool = False

    @model_validator(mode="after")
    def _options_fit_rule(self) -> RuleConfig:
        if self.rule == "pattern" and (self.pattern is None) == (self.regex is None):
            raise ValueError("rule pattern takes exactly one of pattern (a built-in) or regex")
        if self.rule == "in_list" and self.values is None:
            raise ValueError("rule in_list needs values (a list, a built-in list or {file: PATH})")
        if self.rule != "pattern" and (self.pattern or self.regex):
            raise ValueError(f"rule {self.rule} takes no pattern or regex")
        if self.rule != "in_list" and self.values is not None:
            raise ValueError(f"rule {self.rule} takes no values")
        return self


class PadOptions(Model):
    """Options of pad_left and pad_right."""

    width: int = Field(ge=1)
    fill: str = " "

    @field_validator("fill")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("fill must be exactly one character")
        return value


SIMPLE_SCRUB_ACTIONS = frozenset({"strip_hyphens", "digits_only", "trim", "upper", "lower"})
OPTION_SCRUB_ACTIONS = {"pad_left": PadOptions, "pad_right": PadOptions}


class ScrubStep(Model):
    """One scrub action with its options, normalised from ``name`` or ``{name: {options}}``."""

    action: str
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"action": value, "options": {}}
        elif isinstance(value, dict) and "action" not in value:
            if len(value) != 1:
                raise ValueError("a scrub step is a name or a one-key mapping {name: {options}}")
            ((name, options),) = value.items()
            value = {"action": name, "options": options or {}}
        return value

    @model_validator(mode="after")
    def _known(self) -> ScrubStep:
        if self.action in SIMPLE_SCRUB_ACTIONS:
            if self.options:
                raise ValueError(f"scrub action {self.action} takes no options")
        elif self.action in OPTION_SCRUB_ACTIONS:
            OPTION_SCRUB_ACTIONS[self.action].model_validate(self.options)
        else:
            known = sorted(SIMPLE_SCRUB_ACTIONS | set(OPTION_SCRUB_ACTIONS))
            raise ValueError(f"unknown scrub action {self.action!r}; known: {', '.join(known)}")
        return self


class ColumnConfig(Model):
    """A declared column: whether it is required, its checks, its scrub steps, whether PII."""

    required: bool = False
    pii: bool = True
    checks: list[RuleConfig] = Field(default_factory=list)
    scrub: list[ScrubStep] = Field(default_factory=list)
