"""The notes' own example end to end, through Dagster: fund files A and B (``isin``, ``nav``)
are delivered by their feeds; each job's sensor then runs it: a processing timestamp, a
z-score on ``nav``, a daily merge on ``isin`` keeping the earliest ``time_started``, and the
merged rows in a table (SQLite here; PostgreSQL below, skipped with the reason when absent)."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from pvt_dagster_tests.processing.conftest import FUND_A, FUND_B, FundsEnv
from pvt_dagster_tests.support.jobs_flow import run_all_jobs


def test_smoke(funds_env: FundsEnv) -> None:
    defs = funds_env.defs()
    funds_env.deliver("fund_a_1.csv", FUND_A)
    funds_env.deliver("fund_b_1.csv", FUND_B)
    intake = funds_env.intake()
    outcomes = run_all_jobs(defs, funds_env.instance, intake, "funds")
    for o in outcomes:
        print(o.job, o.partition, o.success)
    for row in intake.ledger.job_outputs():
        print(row.job, row.partition, row.status, row.rows, row.output, row.error)
