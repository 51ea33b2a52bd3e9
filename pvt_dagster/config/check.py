"""``pvt config check``, the part that needs only the config: load errors, the time zone,
source and delivery kinds, feeds, secrets, ``notify`` and ``push``. The checks against the
managers (rule names, custom functions, date formats, scrub steps, keys) sit above them, in
``pvt_dagster.cli.config_check``, so the config package imports no manager."""

from __future__ import annotations

import codecs
import os
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pvt_dagster.config.loader import find_config_path, load_with_lines
from pvt_dagster.config.models import (
    SUPPORTED_DELIVERY_KINDS,
    SUPPORTED_SOURCE_KINDS,
    PvtConfig,
    SecretRef,
)
from pvt_dagster.config.notify_check import check_notify
from pvt_dagster.config.paths import walk
from pvt_dagster.config.push_check import check_push
from pvt_dagster.config.yamlsource import KeyPath, SourceMap
from pvt_dagster.errors import ConfigError, ConfigIssue


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

    def sort(self) -> None:
        """Put errors and warnings in file order."""
        self.errors.sort(key=_order)
        self.warnings.sort(key=_order)

    def _issue(self, path: KeyPath, message: str) -> ConfigIssue:
        smap = self.lines or SourceMap(file=str(self.path or ""))
        return smap.issue(path, message)


def check_config_file(path: str | Path | None = None) -> ConfigReport:
    """Load a config and run the checks that need nothing but the config (in file order);
    ConfigNotFoundError propagates (a different exit status)."""
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
    check_notify(config, report)
    check_push(config, report)
    report.sort()
    return report


INSECURE = ("allow_insecure: true: passwords and data cross the network in clear; use TLS "
            "(ftps; starttls or ssl) or a loopback host")


def _order(issue: ConfigIssue) -> tuple[int, str]:
    return issue.line or 0, issue.key

def _check_top(config: PvtConfig, report: ConfigReport) -> None:
    try:
        zoneinfo.ZoneInfo(config.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        report.error(("timezone",), f"unknown time zone '{config.timezone}'")
    if config.storage is not None and config.ledger.url is None:
        report.warn(("storage",), "the vault and stage outputs are in object storage but the "
                    "ledger is SQLite in the home: runs on other machines cannot share it; "
                    "set ledger.url to PostgreSQL")


def supported(kinds: Iterable[str]) -> str:
    """Names for a message, sorted and comma-separated."""
    return ", ".join(sorted(kinds))


def _check_clients(config: PvtConfig, report: ConfigReport) -> None:
    for client_name, client in config.clients.items():
        at: KeyPath = ("clients", client_name)
        used = {feed.source for feed in client.feeds.values()}
        for name, source in client.sources.items():
            if source.kind not in SUPPORTED_SOURCE_KINDS:
                report.error((*at, "sources", name, "kind"),
                             f"kind {source.kind} is not supported yet "
                             f"(supported: {supported(SUPPORTED_SOURCE_KINDS)})")
            if name not in used:
                report.warn((*at, "sources", name),
                            "no feed uses this source: every file in it will be unmatched")
            if getattr(source, "allow_insecure", False):
                report.warn((*at, "sources", name, "allow_insecure"), INSECURE)
            if source.kind == "imap" and not getattr(source, "require_signature", True):
                report.warn((*at, "sources", name, "require_signature"),
                            "require_signature: false: any mail whose From header matches is "
                            "taken in, and a From header is easy to forge; list "
                            "trusted_signers and have the client sign its files")
        first: dict[tuple[str, str], str] = {}
        for name, feed in client.feeds.items():
            feed_at = (*at, "feeds", name)
            earlier = first.setdefault((feed.source, feed.pattern), name)
            if earlier != name:
                report.error((*feed_at, "pattern"),
                             f"feed {earlier} has the same source and pattern and comes first, "
                             "so this feed can never match a file")
            read_by_jobs = any(name == value for job in client.jobs.values()
                               for value in job.all_inputs)
            if not feed.deliver and not read_by_jobs:
                report.warn(feed_at, "no deliver targets: its files are checked and scrubbed "
                                     "but delivered nowhere")
            for index, target in enumerate(feed.deliver):
                if target.kind not in SUPPORTED_DELIVERY_KINDS:
                    report.error((*feed_at, "deliver", index, "kind"),
                                 f"kind {target.kind} is not supported yet "
                                 f"(supported: {supported(SUPPORTED_DELIVERY_KINDS)})")
            encoding = getattr(feed.format, "encoding", None)
            if encoding is not None:
                try:
                    codecs.lookup(encoding)
                except LookupError:
                    report.error((*feed_at, "format", "encoding"),
                                 f"unknown encoding '{encoding}'")


def file_problem(path: Path) -> str | None:
    """Why a file named in the config cannot be read (None when it can)."""
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
            problem = file_problem(value.file)
            if problem:
                report.error((*path, "file"), problem)
