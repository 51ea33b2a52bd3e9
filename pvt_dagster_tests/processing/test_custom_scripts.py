"""Custom scripts (a client's own logic): one that works, one that raises with data in its
message, one that returns the wrong columns and one that returns no frame. A failure marks only
its job ``error`` with a clear, masked message (module, function, exception type), registers
the error and a failed process run, queues a ``job_failed`` message routed at severity
failure, writes no output, and never holds the feed or stops another job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pvt_dagster.comms.routing import route
from pvt_dagster.config.notify import Route, RouteMatch
from pvt_dagster_tests.processing.conftest import (
    FUND_A,
    FundsEnv,
    dagster_home,
    write_funds_config,
)
from pvt_dagster_tests.support.jobs_flow import run_requested

SCRIPTS = "pvt_dagster_tests.processing.scripts"
CUSTOM_JOBS = f"""\
      cents: {{script: "{SCRIPTS}:nav_in_cents", input: nav_a, options: {{scale: 100}},
               columns: {{nav_cents: {{dtype: int, non_null: true}}}}}}
      raises: {{script: "{SCRIPTS}:raises_with_pii", input: nav_a, dir: out/raises}}
      wrong_columns: {{script: "{SCRIPTS}:drops_nav", input: nav_a, dir: out/wrong,
                       columns: {{nav: {{dtype: float}}, isin: {{dtype: string}}}}}}
      not_a_frame: {{script: "{SCRIPTS}:returns_text", input: nav_a}}
"""


@pytest.fixture
def custom_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FundsEnv]:
    """The funds example plus the custom jobs."""
    path = write_funds_config(tmp_path, table_url=f"sqlite:///{tmp_path / 'w.db'}",
                              extra=CUSTOM_JOBS)
    with dagster_home(tmp_path, monkeypatch) as instance:
        yield FundsEnv(tmp_path, path, instance)


def _run(env: FundsEnv, name: str) -> list[bool]:
    intake = env.intake()
    try:
        return [o.success for o in run_requested(env.defs(), env.instance, env.config_path,
                                                 intake.config.job("funds", name))]
    finally:
        intake.close()


def test_a_custom_script_that_works(custom_env: FundsEnv) -> None:
    key = custom_env.deliver("fund_a_1.csv", FUND_A)
    assert _run(custom_env, "cents") == [True]
    row = custom_env.intake().ledger.job_output("funds", "cents", key)
    assert row is not None and (row.status, row.rows) == ("success", 4)


def test_a_script_that_raises_is_a_clear_masked_error(custom_env: FundsEnv) -> None:
    key = custom_env.deliver("fund_a_1.csv", FUND_A)
    assert _run(custom_env, "raises") == [False]
    assert _run(custom_env, "stamp_a") == [True]  # another job of the same file still runs
    intake = custom_env.intake()
    row = intake.ledger.job_output("funds", "raises", key)
    assert row is not None and (row.status, row.output, row.rows) == ("error", None, None)
    assert row.error is not None
    assert row.error.startswith(f"script {SCRIPTS}:raises_with_pii raised ValueError: ")
    assert "123-45-6789" not in row.error and "Jane" not in row.error
    assert "***-**-6789" in row.error
    assert not (custom_env.root / "out" / "raises").exists()  # no output at all

    (error,) = [e for e in intake.ledger.errors() if e.feed == "raises"]
    assert (error.stage, error.error_class, error.file_key) == ("job", "ScriptError", key)
    (process_run,) = intake.ledger.process_runs(process="funds/raises/job")
    assert process_run.status == "failed"
    (message,) = [m for m in intake.ledger.messages() if m.kind == "job_failed"]
    assert message.severity == "failure" and "Jane" not in message.text
    routes = [Route(match=RouteMatch(severity="failure"), send=["email:ops@example.org"])]
    assert route(message, routes) == ["email:ops@example.org"]
    assert intake.ledger.active_holds() == []  # a job error never holds the feed
    assert intake.ledger.get_file(key).status == "delivered"

    logs = custom_env.instance.all_logs(row.run_id or "")
    text = " ".join(str(event.dagster_event) + (event.user_message or "") for event in logs)
    assert "ScriptError" in text and "123-45-6789" not in text and "Jane" not in text
    assert _run(custom_env, "raises") == []  # same inputs: the sensor does not loop on it
    intake.close()


def test_wrong_columns_and_no_frame_write_nothing(custom_env: FundsEnv) -> None:
    key = custom_env.deliver("fund_a_1.csv", FUND_A)
    assert _run(custom_env, "wrong_columns") == [False]
    assert _run(custom_env, "not_a_frame") == [False]
    intake = custom_env.intake()
    wrong = intake.ledger.job_output("funds", "wrong_columns", key)
    assert wrong is not None and wrong.status == "error"
    assert wrong.error == ("job funds/wrong_columns: output breaks its columns contract: "
                           "column nav is missing")
    assert not (custom_env.root / "out" / "wrong").exists()
    assert not intake.layout.job_work_dir("funds", "wrong_columns").exists()
    text = intake.ledger.job_output("funds", "not_a_frame", key)
    assert text is not None and text.error == (
        f"script {SCRIPTS}:returns_text returned str, not a DataFrame (or a mapping of names "
        "to DataFrames)")
    materialized = custom_env.instance.get_materialized_partitions(
        dg.AssetKey(["funds", "wrong_columns"]))
    assert materialized == set()
    intake.close()
