"""Formats, column rules, file rules and scrub steps of a feed."""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from pvt_dagster.config.base import Model, SecretRef
from pvt_dagster.config.sizes import parse_size
from pvt_dagster.domain import RuleSeverity

#: The longest line a text format reads (``max_line_bytes``): a file with no line breaks, or
#: one enormous field, is a clear ParseError at bounded memory, never read whole.
DEFAULT_MAX_LINE_BYTES = 1024 * 1024
LineBytes = Annotated[int, BeforeValidator(parse_size), Field(ge=1)]


class CsvFormat(Model):
    """A delimited text file."""

    type: Literal["csv"] = "csv"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True
    max_line_bytes: LineBytes = DEFAULT_MAX_LINE_BYTES

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be exactly one character")
        return value


class FixedColumn(Model):
    """One field of a fixed-width record: 1-based ``start`` and a ``width`` or inclusive ``end``."""

    name: str = Field(min_length=1)
    start: int = Field(ge=1)
    width: int | None = None
    end: int | None = None

    @model_validator(mode="after")
    def _extent(self) -> FixedColumn:
        if (self.width is None) == (self.end is None):
            raise ValueError("a fixed-width column takes exactly one of width or end")
        if self.width is not None and self.width < 1:
            raise ValueError(f"width must be at least 1, not {self.width}")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def stop(self) -> int:
        """The 0-based exclusive end offset of the field."""
        return self.start - 1 + self.width if self.width is not None else int(self.end or 0)


class FixedWidthFormat(Model):
    """A fixed-width text file: one record a line, fields at fixed character positions."""

    type: Literal["fixed_width"]
    encoding: str = "utf-8"
    header: bool = False  # skip the first line (a title or header line)
    strip: bool = True  # strip the padding spaces of each field
    max_line_bytes: LineBytes = DEFAULT_MAX_LINE_BYTES
    columns: list[FixedColumn] = Field(min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> FixedWidthFormat:
        spans = sorted((c.start - 1, c.stop, c.name) for c in self.columns)
        for (_, end, a), (start, _, b) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"fixed-width columns {a} and {b} overlap")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("fixed-width column names must be unique")
        return self


class ExcelFormat(Model):
    """An .xlsx workbook: a named sheet (or the first one), streamed row by row."""

    type: Literal["excel"]
    sheet: str | None = None  # null = the first sheet
    header: bool = True


def _default_csv(value: Any) -> Any:
    """A format mapping without ``type`` is CSV (configs written before other formats)."""
    if isinstance(value, dict) and "type" not in value:
        return {**value, "type": "csv"}
    return value


FileFormat = Annotated[CsvFormat | FixedWidthFormat | ExcelFormat,
                       BeforeValidator(_default_csv), Field(discriminator="type")]

COLUMN_RULES = ("required", "not_null", "unique", "pattern", "in_list", "length", "range",
                "type", "custom")
VALUE_TYPES = ("integer", "decimal", "date", "boolean")
_OPTIONS_OF: dict[str, frozenset[str]] = {
    "pattern": frozenset({"pattern", "regex", "ignore_case"}),
    "in_list": frozenset({"values", "ignore_case"}),
    "length": frozenset({"min", "max"}),
    "range": frozenset({"min", "max", "format"}),
    "type": frozenset({"type", "format"}),
    "custom": frozenset({"function"}),
}


class RuleConfig(Model):
    """One check on a column: a rule name, its options and a severity."""

    rule: Literal["required", "not_null", "unique", "pattern", "in_list", "length", "range",
                  "type", "custom"]
    severity: RuleSeverity = "failure"
    pattern: str | None = None  # a built-in name (ssn, us_phone, zip, email, date)
    regex: str | None = None  # a custom regular expression (full match)
    values: list[str] | str | SecretRef | None = None  # list, built-in list name, or {file: PATH}
    ignore_case: bool = False
    min: int | float | str | None = None  # length: characters; range: a number or a date
    max: int | float | str | None = None
    type: Literal["integer", "decimal", "date", "boolean"] | None = None
    format: str | None = None  # strptime format of dates (type date, range of dates)
    function: str | None = None  # custom: "package.module:function"

    @model_validator(mode="after")
    def _options_fit_rule(self) -> RuleConfig:
        given = {k for k in ("pattern", "regex", "values", "min", "max", "type", "format",
                             "function") if getattr(self, k) is not None}
        if self.ignore_case:
            given.add("ignore_case")
        extra = given - _OPTIONS_OF.get(self.rule, frozenset())
        if extra:
            raise ValueError(f"rule {self.rule} takes no {', '.join(sorted(extra))}")
        if self.rule == "pattern" and (self.pattern is None) == (self.regex is None):
            raise ValueError("rule pattern takes exactly one of pattern (a built-in) or regex")
        if self.rule == "in_list" and self.values is None:
            raise ValueError("rule in_list needs values (a list, a built-in list or {file: PATH})")
        if self.rule == "type" and self.type is None:
            raise ValueError(f"rule type needs type ({', '.join(VALUE_TYPES)})")
        if self.rule == "type" and self.format is not None and self.type != "date":
            raise ValueError("format applies to type date only")
        if self.rule == "custom" and not _is_callable_ref(self.function):
            raise ValueError("rule custom needs function: 'package.module:function'")
        if self.rule in ("length", "range"):
            _check_bounds(self)
        return self


def _is_callable_ref(ref: str | None) -> bool:
    """Whether ``ref`` looks like ``module.path:function``."""
    if not ref or ref.count(":") != 1:
        return False
    module, name = ref.split(":")
    return all(p.isidentifier() for p in module.split(".")) and name.isidentifier()


def _check_bounds(rule: RuleConfig) -> None:
    """min/max of a length or range rule: at least one, of one kind, and min <= max."""
    low, high = rule.min, rule.max
    if low is None and high is None:
        raise ValueError(f"rule {rule.rule} needs min, max or both")
    if rule.rule == "length":
        for name, bound in (("min", low), ("max", high)):
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise ValueError(f"length {name} must be a whole number >= 0")
    else:
        kinds = {isinstance(b, str) for b in (low, high) if b is not None}
        if len(kinds) > 1:
            raise ValueError("range min and max must both be numbers or both be dates")
        if rule.format is not None and kinds != {True}:
            raise ValueError("range format applies to date bounds only")
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        raise ValueError(f"min {low} is greater than max {high}")


FILE_RULES = ("header", "row_count", "duplicate_rows", "row_count_drop", "custom")


class FileRuleConfig(Model):
    """One feed-level check: header, row count bounds, duplicate rows, a drop, or custom."""

    rule: Literal["header", "row_count", "duplicate_rows", "row_count_drop", "custom"]
    severity: RuleSeverity = "failure"
    order: Literal["strict", "any"] = "strict"  # header: declared order or any order
    extra_columns: bool = False  # header: columns not declared are allowed
    min: int | None = Field(default=None, ge=0)  # row_count
    max: int | None = Field(default=None, ge=0)
    max_drop_percent: float | None = Field(default=None, ge=0, le=100)  # row_count_drop
    function: str | None = None  # custom: "package.module:function" (DataFrame -> bool mask)

    @model_validator(mode="after")
    def _options_fit_rule(self) -> FileRuleConfig:
        if self.rule == "row_count":
            if self.min is None and self.max is None:
                raise ValueError("rule row_count needs min, max or both")
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"min {self.min} is greater than max {self.max}")
        elif self.min is not None or self.max is not None:
            raise ValueError(f"rule {self.rule} takes no min or max")
        if (self.rule == "row_count_drop") != (self.max_drop_percent is not None):
            raise ValueError("max_drop_percent goes with rule row_count_drop (and it needs it)")
        if self.rule == "custom" and not _is_callable_ref(self.function):
            raise ValueError("rule custom needs function: 'package.module:function'")
        if self.rule != "custom" and self.function is not None:
            raise ValueError(f"rule {self.rule} takes no function")
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


class ReplaceOptions(Model):
    """Options of replace: a regular expression and its replacement (``\\1`` groups allowed)."""

    pattern: str = Field(min_length=1)
    with_: str = Field(default="", alias="with")


class MapOptions(Model):
    """Options of map: a table of value -> replacement (values not in it are kept)."""

    values: dict[str, str] = Field(min_length=1)
    ignore_case: bool = False


class DateOptions(Model):
    """Options of date: strptime formats tried in order; matches become ISO 8601."""

    formats: list[str] = Field(min_length=1)


class FormatOptions(Model):
    """Options of format: ``ssn`` (ddd-dd-dddd) or ``phone`` ((ddd) ddd-dddd)."""

    as_: Literal["ssn", "phone"] = Field(alias="as")


class NullIfInvalidOptions(Model):
    """Options of null_if_invalid: the column's rule (kind or check name) a value must pass."""

    rule: str = Field(min_length=1)


SIMPLE_SCRUB_ACTIONS = frozenset({"strip_hyphens", "digits_only", "trim", "upper", "lower",
                                  "title"})
OPTION_SCRUB_ACTIONS: dict[str, type[Model]] = {
    "pad_left": PadOptions, "pad_right": PadOptions, "replace": ReplaceOptions,
    "map": MapOptions, "date": DateOptions, "format": FormatOptions,
    "null_if_invalid": NullIfInvalidOptions,
}


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
