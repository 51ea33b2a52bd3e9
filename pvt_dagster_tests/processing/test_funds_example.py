"""The notes' own example end to end, through Dagster: fund files A and B (``isin``, ``nav``)
are delivered by their feeds; each job's sensor then runs it: a processing timestamp, a
z-score on ``nav``, a daily merge on ``isin`` keeping the earliest ``time_started``, and the
merged rows in a table, on SQLite and on PostgreSQL (skipped with the reason when absent). Then
the daily merge with only file A (preliminary) and again once B arrives (success), and a
restart of only the merge with ``pvt replay``: the feed stages and the other jobs do not run."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from pvt_dagster.cli import main
from pvt_dagster.config.models import JobRef
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.processing.conftest import (
    FUND_A,
    FUND_B,
    FundsEnv,
    dagster_home,
    write_funds_config,
)
from pvt_dagster_tests.support.jobs_flow import run_all_jobs, run_requested

#: Fund A's navs 10, 12, 14, 20: mean 14, population std sqrt((16 + 4 + 0 + 36) / 4) = sqrt(14).
HAND_ZSCORES_A = {"US0000000001": -4 / math.sqrt(14), "US0000000002": -2 / math.sqrt(14),
                  "US0000000003": 0.0, "US0000000004": 6 / math.sqrt(14)}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def table_env(request: pytest.FixtureRequest, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FundsEnv, str]]:
    """The funds example with its table on SQLite or on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    else:
        url, reason = request.getfixturevalue("_ledger_pg_database")
        if url is None:
            pytest.skip(reason)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS funds CASCADE"))
        engine.dispose()
    path = write_funds_config(tmp_path, table_url=url)
    with dagster_home(tmp_path, monkeypatch) as instance:
        yield FundsEnv(tmp_path, path, instance), url


def _job(intake: Intake, name: str) -> JobRef:
    return intake.config.job("funds", name)


def _table_rows(url: str) -> pd.DataFrame:
    engine = create_engine(url)
    name = "funds.fund_nav" if url.startswith("postgresql") else "funds__fund_nav"
    try:
        with engine.connect() as conn:
            return pd.read_sql(text(f"SELECT * FROM {name}"), conn)
    finally:
        engine.dispose()


def _work_frame(intake: Intake, job: str) -> pd.DataFrame:
    (row,) = intake.ledger.job_outputs(client="funds", job=job)
    return pd.read_parquet(intake.layout.stored(row.details["work"]))


def test_the_notes_example_runs_end_to_end(table_env: tuple[FundsEnv, str]) -> None:
    env, url = table_env
    defs = env.defs()
    env.deliver("fund_a_1.csv", FUND_A)
    env.deliver("fund_b_1.csv", FUND_B)
    intake = env.intake()
    # B is stamped first, so its time_started is the earlier one where both sides have a fund.
    stamped = [*run_requested(defs, env.instance, env.config_path, _job(intake, "stamp_b")),
               *run_requested(defs, env.instance, env.config_path, _job(intake, "stamp_a"))]
    outcomes = stamped + run_all_jobs(defs, env.instance, intake, "funds")
    assert [o.job for o in outcomes] == ["funds/stamp_b", "funds/stamp_a", "funds/zscore_a",
                                         "funds/zscore_b", "funds/merged"]
    assert all(o.success for o in outcomes)

    zscore_a = _work_frame(intake, "zscore_a").set_index("isin")
    for isin, expected in HAND_ZSCORES_A.items():
        assert zscore_a.loc[isin, "zscore"] == pytest.approx(expected, abs=1e-12)
    time_a = _work_frame(intake, "stamp_a")["time_started"].iloc[0]
    time_b = _work_frame(intake, "stamp_b")["time_started"].iloc[0]
    assert time_b < time_a

    (merged_row,) = intake.ledger.job_outputs(client="funds", job="merged")
    assert (merged_row.status, merged_row.rows, merged_row.error) == ("success", 5, None)
    day = merged_row.partition
    out = Path(merged_row.output or "")
    assert out == env.root / "out" / "merged" / f"merged_{day}.csv"
    merged = pd.read_csv(out, dtype=str).set_index("isin")
    assert list(merged.columns) == ["nav", "time_started", "zscore", "nav_zscore_b",
                                    "zscore_zscore_b"]
    in_a, in_b = set(FUND_A.split()[1:]), set(FUND_B.split()[1:])
    for isin, row in merged.iterrows():
        sides = [t for t, lines in ((time_a, in_a), (time_b, in_b))
                 if any(line.startswith(f"{isin},") for line in lines)]
        assert row["time_started"] == min(sides), isin  # the earliest of the two sides
    assert float(merged.loc["US0000000004", "zscore"]) == pytest.approx(6 / math.sqrt(14))
    assert pd.isna(merged.loc["US0000000005", "nav"])  # only in B: outer join

    table = _table_rows(url)
    assert sorted(table["isin"]) == sorted(merged.index)
    assert set(table["_pvt_key"]) == {f"funds/merged/{day}"}

    materialization = env.instance.fetch_materializations(
        dg.AssetKey(["funds", "merged"]), limit=1).records[0].asset_materialization
    assert materialization is not None and materialization.partition == day
    metadata = materialization.metadata
    assert metadata["status"].value == "success" and metadata["rows"].value == 5
    assert isinstance(metadata["seconds"].value, float)
    (output,) = env.instance.all_logs(merged_row.run_id or "",
                                      of_type=dg.DagsterEventType.STEP_OUTPUT)
    assert output.dagster_event is not None
    type_check = output.dagster_event.step_output_data.type_check_data
    assert type_check is not None and type_check.success  # the dagster-pandas type's check
    summary = type_check.metadata["summary"].value
    assert "| nav | float64 | 1 |" in str(summary)  # statistics: B-only fund has no nav
    assert "US0000000001" not in str(summary)  # no text value is shown
    intake.close()


def test_preliminary_then_success_and_a_restart_of_only_the_merge(
        funds_env: FundsEnv, capsys: pytest.CaptureFixture[str]) -> None:
    defs = funds_env.defs()
    funds_env.deliver("fund_a_1.csv", FUND_A)
    intake = funds_env.intake()
    assert all(o.success for o in run_all_jobs(defs, funds_env.instance, intake, "funds"))
    (first,) = intake.ledger.job_outputs(client="funds", job="merged")
    assert first.status == "preliminary" and first.rows == 4  # written, though B is missing
    assert {"input": "zscore_b", "missing": True} in first.inputs
    day = first.partition
    capsys.readouterr()
    assert main(["--config", str(funds_env.config_path), "jobs", "--client", "funds",
                 "--json"]) == 0
    listed = {(r["job"], r["partition"]): r for r in json.loads(capsys.readouterr().out)}
    assert listed[("merged", day)]["status"] == "preliminary"
    assert listed[("stamp_b", None)]["status"] == "preliminary"  # no input yet: not run
    assert set(listed[("merged", day)]) == {"client", "job", "partition", "status", "rows",
                                            "output", "updated_at", "error"}
    assert listed[("merged", day)]["updated_at"].endswith("Z")
    assert main(["--config", str(funds_env.config_path), "jobs"]) == 0
    table = capsys.readouterr().out
    (line,) = [x for x in table.splitlines() if x.startswith("funds/merged ")]
    assert line.split()[1:3] == [day, "preliminary"]

    funds_env.deliver("fund_b_1.csv", FUND_B)
    ran = run_all_jobs(defs, funds_env.instance, intake, "funds")
    assert [o.job for o in ran] == ["funds/stamp_b", "funds/zscore_b", "funds/merged"]
    (final,) = intake.ledger.job_outputs(client="funds", job="merged")
    assert (final.status, final.rows) == ("success", 5)
    table_url = f"sqlite:///{funds_env.root / 'warehouse.db'}"
    assert len(_table_rows(table_url)) == 5  # replaced, not doubled

    before = _materialization_counts(funds_env.instance, intake)
    assert main(["--config", str(funds_env.config_path), "replay", "funds/merged", day]) == 0
    assert f"replayed funds/merged {day}: success" in capsys.readouterr().out
    after = _materialization_counts(funds_env.instance, intake)
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {("funds", "merged")}  # no feed stage, no other job ran again
    assert after[("funds", "merged")] == before[("funds", "merged")] + 1
    assert len(_table_rows(table_url)) == 5
    assert run_all_jobs(defs, funds_env.instance, intake, "funds") == []  # nothing is due
    intake.close()


def _materialization_counts(instance: dg.DagsterInstance,
                            intake: Intake) -> dict[tuple[str, ...], int]:
    """Materializations of every feed stage and job asset."""
    keys = [("funds", f, s) for f in ("nav_a", "nav_b")
            for s in ("raw", "decrypted", "validated", "scrubbed", "delivered")]
    keys += [("funds", j.name) for j in intake.config.jobs()]
    return {key: len(instance.fetch_materializations(dg.AssetKey(list(key)),
                                                     limit=1000).records) for key in keys}
