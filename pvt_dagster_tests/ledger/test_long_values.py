"""No column is too short for user-controlled text on PostgreSQL (SQLite does not enforce
lengths, so it runs as a control): long operator names, hold releasers, process actors and
error classes, check names made from long column names, archive paths in event actions and
long file names all fit; config names are bounded so keys stay within their columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pvt_dagster.config.base import MAX_NAME, _identifier
from pvt_dagster.ledger import CheckResultInput, Ledger
from pvt_dagster_tests.ledger.helpers import new_file

LONG = "x" * 600


def test_long_user_controlled_text_fits(ledger: Ledger) -> None:
    record = new_file(ledger, name="members_" + "n" * 400 + ".csv.pgp")
    assert len(record.key) <= 255 and record.name.startswith("members_nnn")
    action = ledger.record_operator_action(action="replay", target=record.key, user=LONG)
    assert action.user == LONG
    ledger.place_hold("acme", "members", reason="failures", failures=3)
    hold, _ = ledger.release_hold("acme", "members", user=LONG)
    assert hold.released_by == LONG
    run = ledger.start_process_run("acme/members/validated", {"client": "acme",
                                   "feed": "members", "stage": "validated", "type": "stage",
                                   "tool": "pvt"}, run_id="r1", file_key=record.key,
                                   actor=LONG)
    done = ledger.finish_process_run(run.id, status="failed", category="operational",
                                     error_class="E" * 300, error="boom")
    assert done.actor == LONG and done.error_class == "E" * 300
    check = "c" * 300 + "__pattern"
    ledger.record_check_results(record.key, run_id="r1", phase="validated", results=[
        CheckResultInput(check_name=check, rule="pattern", column="c" * 300,
                         severity="failure", passed=True)])
    assert [r.check_name for r in ledger.check_results(record.key)] == [check]
    now = datetime.now(UTC)
    event = ledger.append_event(record.key, stage="raw",
                                action="after_transfer:archive:" + "deep/" * 120,
                                started_at=now, finished_at=now)
    assert event.action.endswith("deep/")


def test_config_names_are_bounded() -> None:
    assert _identifier("a" * MAX_NAME) == "a" * MAX_NAME
    with pytest.raises(ValueError, match=f"at most {MAX_NAME}"):
        _identifier("a" * (MAX_NAME + 1))
