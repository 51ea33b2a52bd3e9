"""One-line summaries of check outcomes, in words, never with data values."""

from __future__ import annotations

from pvt_dagster.config import FileRuleConfig, RuleConfig
from pvt_dagster.validation.catalogue import PlannedCheck, rule_target

_VERBS = {
    "not_null": "have an empty {column}",
    "unique": "repeat an earlier {column}",
    "length": "have a {column} of the wrong length",
    "range": "have a {column} out of range",
    "type": "have a {column} that is not {type}",
    "custom": "fail the custom rule on {column}",
    "duplicate_rows": "repeat an earlier row",
}


def outcome_message(check: PlannedCheck, failures: int, rows: int) -> str:
    """A one-line summary of an outcome, without data values."""
    if failures == 0:
        return f"passed: {rows} rows checked"
    rule = check.config
    if rule is None:
        return f"{failures} of {rows} rows have an empty {check.column}"
    if isinstance(rule, FileRuleConfig):
        if rule.rule == "custom":
            return f"{failures} of {rows} rows fail the custom rule {rule.function}"
        return f"{failures} of {rows} rows {_VERBS[rule.rule]}"
    if rule.rule in _VERBS:
        kind = f"a valid {rule.type}" if rule.type else ""
        return f"{failures} of {rows} rows " + _VERBS[rule.rule].format(column=check.column,
                                                                          type=kind)
    return _list_or_pattern(rule, failures, rows)


def _list_or_pattern(rule: RuleConfig, failures: int, rows: int) -> str:
    """The message of a pattern or in_list rule that found something."""
    target = rule_target(rule)
    if rule.rule == "pattern":
        if rule.regex is not None:
            target = "the regular expression"
        return f"{failures} of {rows} rows do not match {target}"
    return f"{failures} of {rows} rows are not in {target}"
