"""Database errors never carry row values: every engine hides its SQL parameters, so a failing
insert of a row holding an SSN says what failed, never the SSN (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pvt_dagster.delivery.table import engine_for
from pvt_dagster.ledger import Ledger
from pvt_dagster.ledger.models import CheckResult

SSN = "123-45-6789"


def test_ledger_errors_hide_the_row(ledger: Ledger) -> None:
    orphan = CheckResult(file_id=987654, run_id="r", phase="validated", check_name="ssn",
                         rule="pattern", column="ssn", severity="failure", passed=False,
                         failures=1, rows=[1], samples=[SSN], message=f"bad value {SSN}",
                         recorded_at=datetime.now(UTC))
    with pytest.raises(DBAPIError) as info, Session(ledger.engine) as session:
        session.add(orphan)
        session.commit()  # no such file: a foreign-key violation
    text = str(info.value)
    assert SSN not in text
    assert "check_results" in text and "parameters hidden" in text
    assert ledger.engine.hide_parameters


def test_table_target_engines_hide_parameters(tmp_path: Path) -> None:
    assert engine_for(f"sqlite:///{tmp_path / 'w.db'}").hide_parameters
