"""``pvt config check``: the config's own checks (``config.check``) plus those that need the
managers: rule names against the validation catalogue, regexes, list files, custom functions,
date formats, scrub steps, the keys feeds name in the keystore, processing jobs' custom
scripts (they must import) and push users' hashes."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from pvt_dagster.config import (
    ConfigReport,
    FileRuleConfig,
    KeyPath,
    PvtConfig,
    RuleConfig,
    SecretRef,
    check_config_file,
    file_problem,
    supported,
    walk,
)
from pvt_dagster.decrypt import Keystore, key_problems, key_uses
from pvt_dagster.errors import ConfigError, KeystoreError, PvtError
from pvt_dagster.processing import load_script
from pvt_dagster.push import hash_kind
from pvt_dagster.validation import (
    BUILTIN_LISTS,
    BUILTIN_PATTERNS,
    ISO_DATE,
    check_date_format,
    column_slug,
    load_callable,
    parse_date,
)


def builtin_names() -> tuple[frozenset[str], frozenset[str]]:
    """Names of the built-in patterns and lists of the validation catalogue."""
    return frozenset(BUILTIN_PATTERNS), frozenset(BUILTIN_LISTS)


def check_config(path: str | Path | None = None) -> ConfigReport:
    """Load and check a config, every problem with its line; ConfigNotFoundError propagates
    (a different exit status)."""
    report = check_config_file(path)
    if report.config is not None:
        _check_rules(report.config, report)
        _check_keys(report.config, report)
        _check_scripts(report.config, report)
        _check_push_hashes(report.config, report)
        report.sort()
    return report


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
    try:
        load_callable(ref)
    except ConfigError as exc:
        report.error(at, "; ".join(i.message for i in exc.issues))
    except Exception as exc:
        report.error(at, f"custom rule {ref}: importing it raised {type(exc).__name__}")


def _check_rule_options(rule: RuleConfig, at: KeyPath, report: ConfigReport) -> None:
    """Date formats and date bounds parse; custom functions import."""
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
                                       f"(known: {supported(patterns)})")
    if rule.regex is not None:
        try:
            re.compile(rule.regex)
        except re.error as exc:
            where = f" at position {exc.pos}" if exc.pos is not None else ""
            report.error((*at, "regex"), f"regex does not compile: {exc.msg}{where}")
    values = rule.values
    if isinstance(values, str) and values not in lists:
        report.error((*at, "values"), f"unknown built-in list '{values}' "
                                      f"(known: {supported(lists)})")
    elif isinstance(values, SecretRef):
        if values.env is not None:
            if values.env not in os.environ:
                report.error((*at, "values", "env"),
                             f"environment variable {values.env} is not set")
        elif values.file is not None:
            problem = file_problem(values.file)
            if problem:
                report.error((*at, "values", "file"), "list " + problem)


def _check_keys(config: PvtConfig, report: ConfigReport) -> None:
    """Keys named by feeds: missing from the keystore (error), expiring or expired (warning)."""
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


def _check_scripts(config: PvtConfig, report: ConfigReport) -> None:
    """Every processing job's custom ``package.module:function`` script imports."""
    for job in config.jobs():
        if job.config.builtin is None:
            try:
                load_script(job.config.script)
            except PvtError as exc:
                report.error(("clients", job.client, "jobs", job.name, "script"), str(exc))


def _check_push_hashes(config: PvtConfig, report: ConfigReport) -> None:
    """A push user's password hash (when it can be read) is an argon2 or bcrypt hash."""
    for client_name, client in config.clients.items():
        for user, entry in client.push.users.items():
            if entry.password_hash is None:
                continue
            try:
                hashed = entry.password_hash.resolve().strip()
            except ConfigError:
                continue  # a missing secret is reported with the other secrets
            if hash_kind(hashed) is None:
                report.error(("clients", client_name, "push", "users", user, "password_hash"),
                             f"{entry.password_hash.describe()} does not hold an argon2 or "
                             "bcrypt hash (make one with `pvt push hash`)")
