"""``pvt config check``: load errors plus checks that need more than the schema."""

from __future__ import annotations

import codecs
import os
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pvt_dagster.config.loader import find_config_path, load_with_lines
from pvt_dagster.config.models import (
    SUPPORTED_DELIVERY_KINDS,
    SUPPORTED_SOURCE_KINDS,
    FileRuleConfig,
    PvtConfig,
    RuleConfig,
    SecretRef,
)
from pvt_dagster.config.notify_check import check_notify
from pvt_dagster.config.paths import walk
from pvt_dagster.config.yamlsource import KeyPath, SourceMap
from pvt_dagster.errors import ConfigError, ConfigIssue

# Used only when pvt_dagster.validation is not installed (names only: config check needs no more).
_FALLBACK_PATTERNS = frozenset({"ssn", "us_phone", "zip", "email", "date"})
_FALLBACK_LISTS = frozenset({"us_states", "us_states_and_territories"})


@dataclass
class ConfigReport:
    """The outcome of checking a config: errors, warnings and the config if it loaded."""

    path: Path | None = None
    errors: list[ConfigIssue] = field(default_factory=list)
    warnings: list[ConfigIssue] = field(default_factory=list)
    config: PvtConfig | None = None
    lines: SourceMap | None = None  # where each key is, for checks added by other packages

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings may exist)."""
        return not self.errors

    def error(self, path: KeyPath, message: str) -> None:
        """Record an error about the key at ``path`` (file and line filled in)."""
        self.errors.append(self._issue(path, message))

    def warn(self, path: KeyPath, message: str) -> None:
        """Record a warning about the key at ``path`` (file and line filled in)."""
        self.warnings.append(self._issue(path, message))

    def _issue(self, path: KeyPath, message: str) -> ConfigIssue:
        smap = self.lines or SourceMap(file=str(self.path or ""))
        return smap.issue(path, message)


def builtin_names() -> tuple[frozenset[str], frozenset[str]]:
    """Names of the built-in patterns and lists of the validation catalogue."""
    try:
        from pvt_dagster.validation.catalogue import BUILTIN_LISTS, BUILTIN_PATTERNS
    except ModuleNotFoundError as exc:
        if exc.name not in ("pvt_dagster.validation", "pvt_dagster.validation.catalogue"):
            raise
        return _FALLBACK_PATTERNS, _FALLBACK_LISTS
    return frozenset(BUILTIN_PATTERNS), frozenset(BUILTIN_LISTS)


def check_config(path: str | Path | None = None) -> ConfigReport:
    """Load and check a config; ConfigNotFoundError propagates (a different exit status)."""
    config_path = find_config_path(path)
    report = ConfigReport(path=config_path)
    try:
        config, smap = load_with_lines(config_path)
    except ConfigError as exc:
        report.errors = list(exc.issues)
        return report
    report.config, report.lines = config, smap
    _check_top(config, report)
    _check_clients(config, report)
    _check_secrets(config, report)
    _check_rules(config, report)
    _check_keys(config, report)
    check_notify(config, report)
    report.errors.sort(key=_order)
    report.warnings.sort(key=_order)
    return report


def _order(issue: ConfigIssue) -> tuple[int, str]:
    return issue.line or 0, issue.key


def _check_top(config: PvtConfig, report: ConfigReport) -> None:
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        report.error(("timezone",), f"unknown time zone '{config.timezone}'")


def _supported(kinds: Iterable[str]) -> str:
    return ", ".join(sorted(kinds))


def _check_clients(config: PvtConfig, report: ConfigReport) -> None:
    for client_name, client in config.clients.items():
        at: KeyPath = ("clients", client_name)
        used = {feed.source for feed in client.feeds.values()}
        for name, source in client.sources.items():
            if source.kind not in SUPPORTED_SOURCE_KINDS:
                report.error((*at, "sources", name, "kind"),
                             f"kind {source.kind} is not supported yet "
                             f"(supported: {_supported(SUPPORTED_SOURCE_KINDS)})")
            if name not in used:
                report.warn((*at, "sources", name),
                            "no feed uses this source: every file in it will be unmatched")
        first: dict[tuple[str, str], str] = {}
        for name, feed in client.feeds.items():
            feed_at = (*at, "feeds", name)
            earlier = first.setdefault((feed.source, feed.pattern), name)
            if earlier != name:
                report.error((*feed_at, "pattern"),
                             f"feed {earlier} has the same source and pattern and comes first, "
                             "so this feed can never match a file")
            if not feed.deliver:
                report.warn(feed_at, "no deliver targets: its files are checked and scrubbed "
                                     "but delivered nowhere")
            for index, target in enumerate(feed.deliver):
                if target.kind not in SUPPORTED_DELIVERY_KINDS:
                    report.error((*feed_at, "deliver", index, "kind"),
                                 f"kind {target.kind} is not supported yet "
                                 f"(supported: {_supported(SUPPORTED_DELIVERY_KINDS)})")
            encoding = getattr(feed.format, "encoding", None)
            if encoding is not None:
                try:
                    codecs.lookup(encoding)
                except LookupError:
                    report.error((*feed_at, "format", "encoding"),
                                 f"unknown encoding '{encoding}'")


def _file_problem(path: Path) -> str | None:
    if not path.exists():
        return f"file {path} does not exist"
    if not path.is_file():
        return f"{path} is not a file"
    if not os.access(path, os.R_OK):
        return f"file {path} is not readable"
    return None


def _is_list_file(path: KeyPath) -> bool:
    return len(path) >= 2 and path[-1] == "values" and "checks" in path


def _check_secrets(config: PvtConfig, report: ConfigReport) -> None:
    for path, value in walk(config):
        if not isinstance(value, SecretRef) or _is_list_file(path):
            continue
        if value.env is not None:
            if value.env not in os.environ:
                report.error((*path, "env"), f"environment variable {value.env} is not set")
        elif value.file is not None:
            problem = _file_problem(value.file)
            if problem:
                report.error((*path, "file"), problem)


def _check_rules(config: PvtConfig, report: ConfigReport) -> None:
    patterns, lists = builtin_names()
    for path, value in walk(config):
        if isinstance(value, RuleConfig):
            _check_rule(value, path, patterns, lists, report)
            _check_rule_options(value, path, report)
        elif isinstance(value, FileRuleConfig) and value.function is not None:
            _check_function(value.function, (*path, "function"), report)
    for feed in config.feeds():
        at: KeyPath = ("clients", feed.client, "feeds", feed.name, "columns")
        for name, column in feed.config.columns.items():
            for index, step in enumerate(column.scrub):
                _check_scrub_step(step.action, step.options, name, column.checks,
                                  (*at, name, "scrub", index), report)


def _check_function(ref: str, at: KeyPath, report: ConfigReport) -> None:
    """A custom rule's ``module:function`` must import."""
    from pvt_dagster.validation.valuerules import load_callable

    try:
        load_callable(ref)
    except ConfigError as exc:
        report.error(at, "; ".join(i.message for i in exc.issues))
    except Exception as exc:
        report.error(at, f"custom rule {ref}: importing it raised {type(exc).__name__}")


def _check_rule_options(rule: RuleConfig, at: KeyPath, report: ConfigReport) -> None:
    """Date formats and date bounds parse; custom functions import."""
    from pvt_dagster.validation.valuerules import ISO_DATE, check_date_format, parse_date

    if rule.format is not None:
        problem = check_date_format(rule.format)
        if problem:
            report.error((*at, "format"), problem)
    if rule.rule == "range":
        for name in ("min", "max"):
            bound = getattr(rule, name)
            if isinstance(bound, str) and parse_date(bound, ISO_DATE) is None:
                report.error((*at, name), f"range {name} '{bound}' is not a YYYY-MM-DD date")
    if rule.function is not None:
        _check_function(rule.function, (*at, "function"), report)


def _check_scrub_step(action: str, options: dict[str, object], column: str,
                      checks: list[RuleConfig], at: KeyPath, report: ConfigReport) -> None:
    """Regexes compile, date formats parse, null_if_invalid names a per-value rule it has."""
    from pvt_dagster.validation.valuerules import check_date_format

    if action == "replace":
        try:
            re.compile(str(options.get("pattern")))
        except re.error as exc:
            report.error((*at, action, "pattern"), f"regex does not compile: {exc.msg}")
    elif action == "date":
        for fmt in options.get("formats") or []:  # type: ignore[attr-defined]
            problem = check_date_format(str(fmt))
            if problem:
                report.error((*at, action, "formats"), problem)
    elif action == "null_if_invalid":
        name = str(options.get("rule"))
        kinds = {c.rule for c in checks}
        from pvt_dagster.validation.catalogue import column_slug

        names = {f"{column_slug(column)}__{c.rule}" for c in checks} | kinds
        if name not in names and not any(name.startswith(f"{column_slug(column)}__{k}_")
                                         for k in kinds):
            known = ", ".join(sorted(kinds)) or "none"
            report.error((*at, action, "rule"),
                         f"null_if_invalid names rule '{name}' but column {column} has no such "
                         f"rule (its rules: {known})")
        elif name in {"required", "unique", "custom"}:
            report.error((*at, action, "rule"),
                         f"null_if_invalid cannot use rule {name}: it does not judge one value")


def _check_rule(rule: RuleConfig, at: KeyPath, patterns: frozenset[str],
                lists: frozenset[str], report: ConfigReport) -> None:
    if rule.pattern is not None and rule.pattern not in patterns:
        report.error((*at, "pattern"), f"unknown built-in pattern '{rule.pattern}' "
                                       f"(known: {_supported(patterns)})")
    if rule.regex is not None:
        try:
            re.compile(rule.regex)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            report.error((*at, "regex"), f"regex does not compile: {exc.msg}{where}")
    values = rule.values
    if isinstance(values, str) and values not in lists:
        report.error((*at, "values"), f"unknown built-in list '{values}' "
                                      f"(known: {_supported(lists)})")
    elif isinstance(values, SecretRef):
        if values.env is not None:
            if values.env not in os.environ:
                report.error((*at, "values", "env"),
                             f"environment variable {values.env} is not set")
        elif values.file is not None:
            problem = _file_problem(values.file)
            if problem:
                report.error((*at, "values", "file"), "list " + problem)


def _check_keys(config: PvtConfig, report: ConfigReport) -> None:
    """Keys named by feeds: missing from the keystore (error), expiring or expired (warning)."""
    from datetime import UTC, datetime

    from pvt_dagster.decrypt.inventory import key_problems, key_uses
    from pvt_dagster.decrypt.keystore import Keystore
    from pvt_dagster.errors import KeystoreError

    if not key_uses(config):
        return
    keystore = None
    try:
        if config.gnupghome.is_dir():
            keystore = Keystore(config.gnupghome)
        problems = key_problems(keystore, config, datetime.now(UTC))
    except KeystoreError as exc:
        report.error(("keystore",), str(exc))
        return
    finally:
        if keystore is not None:
            keystore.stop_agent()
    for problem in problems:
        (report.error if problem.level == "error" else report.warn)(problem.path, problem.message)
