"""Fixtures for processing jobs: the notes' funds example (two plain feeds of fund NAVs,
``isin`` and ``nav``, then timestamp, z-score, a daily merge and a table), in a fresh home."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from pvt_dagster.definitions import build_definitions
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.support.flow import poll, run_file

FUNDS_CONFIG = """\
home: {root}/home
timezone: UTC
clients:
  funds:
    sources:
      drop: {{kind: local, path: inbox, after_transfer: keep}}
    polling: {{interval_seconds: 1, quiesce_seconds: 0}}
    feeds:
      nav_a:
        source: drop
        pattern: "fund_a_*.csv"
        decrypt: none
        columns: {{isin: {{required: true, pii: false}}, nav: {{pii: false}}}}
      nav_b:
        source: drop
        pattern: "fund_b_*.csv"
        decrypt: none
        columns: {{isin: {{required: true, pii: false}}, nav: {{pii: false}}}}
{extra_feeds}    jobs:
      stamp_a: {{script: "builtin:add_timestamp", input: nav_a}}
      stamp_b: {{script: "builtin:add_timestamp", input: nav_b}}
      zscore_a: {{script: "builtin:zscore", input: stamp_a, options: {{column: nav}}}}
      zscore_b: {{script: "builtin:zscore", input: stamp_b, options: {{column: nav}}}}
      merged:
        script: builtin:merge
        inputs: [zscore_a, zscore_b]
        options: {{on: isin, earliest: time_started}}
        partition: daily
        dir: out/merged
        deliver: [{{kind: table, table: fund_nav, url: {table_url}}}]
        columns:
          isin: {{dtype: string, non_null: true}}
          nav: {{dtype: float}}
          time_started: {{dtype: string, non_null: true}}
{extra}"""

FUND_A = "isin,nav\nUS0000000001,10.0\nUS0000000002,12.0\nUS0000000003,14.0\nUS0000000004,20.0\n"
FUND_B = "isin,nav\nUS0000000002,101.5\nUS0000000003,99.5\nUS0000000005,100.0\n"


@dataclass
class FundsEnv:
    """A funds config over a fresh home, with helpers to drop and deliver fund files."""

    root: Path
    config_path: Path
    instance: dg.DagsterInstance

    @property
    def inbox(self) -> Path:
        """The drop folder."""
        return self.root / "inbox"

    def intake(self) -> Intake:
        """A fresh Intake over this config."""
        return Intake.from_path(self.config_path)

    def defs(self) -> dg.Definitions:
        """The code location for this config."""
        return build_definitions(str(self.config_path))

    def deliver(self, name: str, text: str) -> str:
        """Drop a file, let it settle and run its feed job to ``delivered``; its key."""
        (self.inbox / name).write_text(text, encoding="utf-8")
        intake = self.intake()
        try:
            poll(intake, client="funds", source_name="drop")
            ready = poll(intake, client="funds", source_name="drop", seconds_later=1).ready
            (record,) = [r for r in ready if r.name == name]
            assert run_file(intake, record.key, instance=self.instance) == "delivered"
            return record.key
        finally:
            intake.close()


def write_funds_config(root: Path, *, table_url: str, extra: str = "",
                       extra_feeds: str = "") -> Path:
    """The funds config in ``root`` (its table on ``table_url``); ``extra`` adds jobs and
    ``extra_feeds`` feeds (YAML indented as the others)."""
    (root / "inbox").mkdir(exist_ok=True)
    path = root / "pvt.yaml"
    path.write_text(FUNDS_CONFIG.format(root=root, table_url=table_url, extra=extra,
                                        extra_feeds=extra_feeds), encoding="utf-8")
    return path


@contextmanager
def dagster_home(root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    """The instance of ``$DAGSTER_HOME`` (set to ``root/dagster``): the one ``pvt replay``
    uses too, so the test sees its runs."""
    home = root / "dagster"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry: {enabled: false}\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()


@pytest.fixture
def funds_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FundsEnv]:
    """The funds example with its table in a SQLite file, on the instance in DAGSTER_HOME."""
    path = write_funds_config(tmp_path, table_url=f"sqlite:///{tmp_path / 'warehouse.db'}")
    with dagster_home(tmp_path, monkeypatch) as instance:
        yield FundsEnv(tmp_path, path, instance)
