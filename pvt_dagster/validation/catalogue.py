"""The rule catalogue: built-in patterns and lists, and the checks a feed's config plans."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pvt_dagster.config import FeedConfig, FileRuleConfig, RuleConfig
from pvt_dagster.domain import RuleSeverity

# Full-match regular expressions ([0-9], not \d, so other scripts' digits never match).
# ``date`` is also checked against the calendar by the engine (see rules.valid_calendar_dates):
# the regex alone accepts 2023-02-30.
BUILTIN_PATTERNS: dict[str, str] = {
    # ddd-dd-dddd, both hyphens or none; no area 000, 666 or 9xx, no group 00, no serial 0000.
    "ssn": r"(?!000|666|9)[0-9]{3}(-?)(?!00)[0-9]{2}\1(?!0000)[0-9]{4}",
    # 10 digits, optional leading 1/+1, optional parentheses; separators: hyphen, dot or space.
    "us_phone": r"(?:\+?1[-. ]?)?(?:\([0-9]{3}\)|[0-9]{3})[-. ]?[0-9]{3}[-. ]?[0-9]{4}",
    "zip": r"[0-9]{5}(?:-[0-9]{4})?",
    # Pragmatic: dot-atom local part, domain labels of letters/digits/hyphens, at least one dot.
    "email": (
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    ),
    "date": r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])",
}

#: RE2 formulations of the built-in patterns RE2 cannot run as written (look-arounds and a
#: back-reference), matching exactly the same ASCII strings (tested exhaustively for ssn).
_AREA = "(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6(?:[0-57-9][0-9]|6[0-57-9]))"
_GROUP = "(?:0[1-9]|[1-9][0-9])"
_SERIAL = "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
BUILTIN_RE2: dict[str, str] = {
    "ssn": f"^(?:{_AREA}-{_GROUP}-{_SERIAL}|{_AREA}{_GROUP}{_SERIAL})$",
}

_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
)
_TERRITORIES = "PR GU VI AS MP"

BUILTIN_LISTS: dict[str, frozenset[str]] = {
    "us_states": frozenset(_STATES.split()),
    "us_states_and_territories": frozenset((_STATES + " " + _TERRITORIES).split()),
}


@dataclass(frozen=True)
class PlannedCheck:
    """One asset check a feed gets, derived from its config at definition time."""

    name: str
    rule: str
    column: str  # FILE_COLUMN for a feed-level rule
    severity: RuleSeverity
    config: RuleConfig | FileRuleConfig | None
    description: str

    @property
    def file_level(self) -> bool:
        """True for a feed-level rule (``file_checks``)."""
        return isinstance(self.config, FileRuleConfig)


#: The column name shown for feed-level rules; their check names start with ``file__``.
FILE_COLUMN = "(file)"


def column_slug(column: str) -> str:
    """A column name as an identifier fragment: lowercase, ``[a-z0-9_]``, never empty."""
    slug = re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")
    if not slug:
        return "column"
    return f"c_{slug}" if slug[0].isdigit() else slug


def rule_target(rule: RuleConfig) -> str:
    """What a pattern or in_list rule compares against, in words (never a data value)."""
    if rule.rule == "pattern":
        if rule.pattern is not None:
            return f"the built-in pattern {rule.pattern}"
        return f"the regular expression {rule.regex}"
    values = rule.values
    if isinstance(values, str):
        return f"the built-in list {values}"
    if isinstance(values, list):
        return f"a list of {len(values)} values"
    if values is not None and values.file is not None:
        return f"the list in file {values.file}"
    return "a list from the environment"


def _bounds(low: object, high: object, unit: str = "") -> str:
    """``between 1 and 5``, ``at least 1``, ``at most 5`` (plus a unit)."""
    if low is not None and high is not None:
        return f"between {low} and {high}{unit}"
    return f"at least {low}{unit}" if low is not None else f"at most {high}{unit}"


def _describe_column_rule(column: str, rule: RuleConfig) -> str:
    """What a column rule requires, in words."""
    texts = {
        "required": f"{column} is present",
        "not_null": f"{column} has no empty value",
        "unique": f"every non-empty {column} appears once in the file",
        "length": f"{column} is {_bounds(rule.min, rule.max, ' characters')} long",
        "range": f"{column} is {_bounds(rule.min, rule.max)}",
        "type": f"{column} is of type {rule.type}"
                + (f" ({rule.format})" if rule.format else ""),
        "custom": f"{column} passes the custom rule {rule.function}",
        "pattern": f"{column} matches {rule_target(rule) if rule.rule == 'pattern' else ''}",
    }
    if rule.rule in texts:
        return texts[rule.rule]
    return f"{column} is in {rule_target(rule)}"


def _describe_file_rule(rule: FileRuleConfig) -> str:
    """What a feed-level rule requires, in words."""
    if rule.rule == "header":
        order = "in the declared order" if rule.order == "strict" else "in any order"
        extra = "other columns allowed" if rule.extra_columns else "no other column"
        return f"the header has the declared columns {order}, {extra}"
    if rule.rule == "row_count":
        return f"the file has {_bounds(rule.min, rule.max, ' rows')}"
    if rule.rule == "duplicate_rows":
        return "no row repeats an earlier row"
    if rule.rule == "row_count_drop":
        return (f"the row count drops by at most {rule.max_drop_percent:g}% against the feed's "
                "previous delivered file")
    return f"the rows pass the custom rule {rule.function}"


def describe_rule(column: str, rule: RuleConfig | FileRuleConfig | None,
                  severity: RuleSeverity) -> str:
    """A one-line human description of a check, without data values."""
    if rule is None:
        text = f"{column} is present and has no empty value"
    elif isinstance(rule, FileRuleConfig):
        text = _describe_file_rule(rule)
    else:
        text = _describe_column_rule(column, rule)
        if rule.ignore_case:
            text += " ignoring case"
    return f"{text} ({severity})"


def planned_checks(feed: FeedConfig) -> list[PlannedCheck]:
    """The asset checks of a feed, in config order, with unique ``<slug>__<rule>[_n]`` names;
    feed-level rules come last, named ``file__<rule>[_n]``."""
    taken: set[str] = set()
    planned: list[PlannedCheck] = []

    def add(column: str, rule: RuleConfig | FileRuleConfig | None) -> None:
        kind = "required" if rule is None else rule.rule
        severity: RuleSeverity = "failure" if rule is None else rule.severity
        slug = "file" if isinstance(rule, FileRuleConfig) else column_slug(column)
        base = f"{slug}__{kind}"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        planned.append(
            PlannedCheck(
                name=name,
                rule=kind,
                column=column,
                severity=severity,
                config=rule,
                description=describe_rule(column, rule, severity),
            )
        )

    for column, config in feed.columns.items():
        if config.required:
            add(column, None)
        for rule in config.checks:
            add(column, rule)
    for file_rule in feed.file_checks:
        add(FILE_COLUMN, file_rule)
    return planned
