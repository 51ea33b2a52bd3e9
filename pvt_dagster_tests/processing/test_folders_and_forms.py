"""The notes' folder pairs (a file in the source folder with no output in the target folder
runs the job; a changed file runs it again) and PIExporter's per-form files (``split_by``: one
daily CSV per form, three forms over two days, a rerun replacing its rows)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pvt_dagster.defs.launch import run_job_partition_run
from pvt_dagster.pipeline.jobs import output_key
from pvt_dagster_tests.processing.conftest import FundsEnv, dagster_home, write_funds_config
from pvt_dagster_tests.support.jobs_flow import run_requested

FOLDER_AND_FORMS = """\
      folder_stamp:
        script: builtin:add_timestamp
        input: {folder: pairs/source, pattern: "*.csv"}
        dir: pairs/target
      per_form:
        script: builtin:split_by
        input: answers
        options: {column: form}
        dir: out/forms
"""
ANSWERS_FEED = """\
      answers:
        source: drop
        pattern: "answers_*.csv"
        decrypt: none
        columns: {member_id: {required: true, pii: false}, form: {required: true}}
"""
DAY_ONE = "member_id,form,score\n1,PHQ-9,4\n2,GAD 7,9\n3,PHQ-9,12\n4,BMI,31\n"
DAY_ONE_LATER = "member_id,form,score\n5,BMI,22\n"
DAY_TWO = "member_id,form,score\n6,PHQ-9,2\n7,BMI,27\n"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FundsEnv]:
    """The funds config with a folder-pair job, an answers feed and a per-form job."""
    path = write_funds_config(tmp_path, table_url=f"sqlite:///{tmp_path / 'w.db'}",
                              extra=FOLDER_AND_FORMS, extra_feeds=ANSWERS_FEED)
    (tmp_path / "pairs" / "source").mkdir(parents=True)
    with dagster_home(tmp_path, monkeypatch) as instance:
        yield FundsEnv(tmp_path, path, instance)


def _run(env: FundsEnv, name: str) -> list[str]:
    intake = env.intake()
    try:
        outcomes = run_requested(env.defs(), env.instance, env.config_path,
                                 intake.config.job("funds", name))
        assert all(o.success for o in outcomes)
        return sorted(o.partition for o in outcomes)
    finally:
        intake.close()


def test_folder_pairs_run_for_files_without_output(env: FundsEnv) -> None:
    source, target = env.root / "pairs" / "source", env.root / "pairs" / "target"
    (source / "fund_x.csv").write_text("isin,nav\nUS1,1.5\n")
    (source / "fund_y.csv").write_text("isin,nav\nUS2,2.5\nUS3,3.5\n")
    (source / "notes.txt").write_text("not matched by the pattern\n")
    assert _run(env, "folder_stamp") == ["fund_x.csv", "fund_y.csv"]
    outputs = sorted(p.name for p in target.iterdir())
    assert outputs == ["folder_stamp_fund_x.csv", "folder_stamp_fund_y.csv"]
    with open(target / "folder_stamp_fund_y.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["isin"] for r in rows] == ["US2", "US3"] and all(r["time_started"] for r in rows)
    assert _run(env, "folder_stamp") == []  # every source file has its output

    (target / "folder_stamp_fund_x.csv").unlink()  # the output is gone: the job runs again
    (source / "fund_z.csv").write_text("isin,nav\nUS4,4.5\n")  # a new source file
    assert _run(env, "folder_stamp") == ["fund_x.csv", "fund_z.csv"]
    assert (target / "folder_stamp_fund_x.csv").is_file()

    later = (source / "fund_y.csv").stat().st_mtime + 5
    (source / "fund_y.csv").write_text("isin,nav\nUS2,2.75\n")
    os.utime(source / "fund_y.csv", (later, later))
    assert _run(env, "folder_stamp") == ["fund_y.csv"]  # a changed file runs again
    assert "2.75" in (target / "folder_stamp_fund_y.csv").read_text()
    statuses = {r.partition: r.status for r in env.intake().ledger.job_outputs(
        client="funds", job="folder_stamp")}
    assert statuses == dict.fromkeys(["fund_x.csv", "fund_y.csv", "fund_z.csv"], "success")


def _deliver_on(env: FundsEnv, name: str, text: str, day: datetime) -> str:
    """Deliver a file and date its receipt ``day`` (the day split_by files it under)."""
    key = env.deliver(name, text)
    intake = env.intake()
    intake.ledger.update_file(key, received_at=day)
    intake.close()
    return key


def _form_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_split_by_writes_one_daily_csv_per_form(env: FundsEnv) -> None:
    one = datetime(2026, 11, 23, 15, tzinfo=UTC)
    two = one + timedelta(days=1)
    first = _deliver_on(env, "answers_1.csv", DAY_ONE, one)
    second = _deliver_on(env, "answers_2.csv", DAY_ONE_LATER, one)
    third = _deliver_on(env, "answers_3.csv", DAY_TWO, two)
    assert _run(env, "per_form") == sorted([first, second, third])
    forms = env.root / "out" / "forms"
    assert sorted(p.name for p in forms.glob("*.csv")) == [
        "BMI_2026-11-23.csv", "BMI_2026-11-24.csv", "GAD_7_2026-11-23.csv",
        "PHQ-9_2026-11-23.csv", "PHQ-9_2026-11-24.csv"]
    bmi = _form_rows(forms / "BMI_2026-11-23.csv")
    assert [r["member_id"] for r in bmi] == ["4", "5"]  # both files of the day, one file
    job = env.intake().config.job("funds", "per_form")
    assert [r["_pvt_key"] for r in bmi] == [output_key(job, first), output_key(job, second)]
    assert [r["member_id"] for r in _form_rows(forms / "PHQ-9_2026-11-23.csv")] == ["1", "3"]
    assert [r["member_id"] for r in _form_rows(forms / "PHQ-9_2026-11-24.csv")] == ["6"]

    intake = env.intake()
    assert run_job_partition_run(env.defs(), env.instance, job, first).success
    assert [r["member_id"] for r in _form_rows(forms / "PHQ-9_2026-11-23.csv")] == ["1", "3"]
    assert [r["member_id"] for r in _form_rows(forms / "BMI_2026-11-23.csv")] == ["5", "4"]
    row = intake.ledger.job_output("funds", "per_form", first)
    assert row is not None and (row.status, row.rows, row.output) == ("success", 4, str(forms))
    intake.close()
