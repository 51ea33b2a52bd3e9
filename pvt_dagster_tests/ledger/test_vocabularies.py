"""Stages, statuses and severities at the ledger boundary: what is written is checked against
its vocabulary (nothing is written otherwise), and stored text that is not a known word is a
clear error when read, never a record carrying it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from pvt_dagster.ledger import CheckResultInput, FileUpdate, Ledger
from pvt_dagster.ledger.files import UPDATABLE_FIELDS
from pvt_dagster.ledger.timeutil import utcnow
from pvt_dagster_tests.ledger.helpers import T0, new_file


def _corrupt(ledger: Ledger, sql: str, **params: object) -> None:
    """Write a value the ledger itself would refuse, as a hand edit of the database would."""
    with ledger.engine.begin() as connection:
        connection.execute(text(sql), params)


def test_file_update_names_every_updatable_column() -> None:
    """FileUpdate (what mypy checks ``update_file`` keywords against) and the fields the ledger
    accepts at run time are the same set."""
    assert set(FileUpdate.__annotations__) == UPDATABLE_FIELDS


def test_a_file_with_an_unknown_stored_status_or_stage_is_a_clear_error(ledger: Ledger) -> None:
    bad_status, bad_stage = new_file(ledger, name="a.csv"), new_file(ledger, name="b.csv")
    _corrupt(ledger, "UPDATE files SET status = 'done' WHERE key = :key", key=bad_status.key)
    _corrupt(ledger, "UPDATE files SET stage = 'cooked' WHERE key = :key", key=bad_stage.key)
    with pytest.raises(ValueError, match="unknown file status 'done'"):
        ledger.get_file(bad_status.key)
    with pytest.raises(ValueError, match="unknown stage 'cooked'"):
        ledger.get_file(bad_stage.key)
    with pytest.raises(ValueError, match="unknown file status 'done'"):
        ledger.list_files()


def test_events_refuse_an_unknown_stage_and_read_back_typed(ledger: Ledger) -> None:
    key = new_file(ledger).key
    with pytest.raises(ValueError, match="unknown stage 'discovery'"):
        ledger.append_event(key, stage="discovery", action="x",  # type: ignore[arg-type]
                            started_at=T0, finished_at=T0)
    assert ledger.events(key) == [] and ledger.get_file(key).event_count == 0
    ledger.append_event(key, stage="raw", action="receive", started_at=T0,
                        finished_at=T0 + timedelta(seconds=1), output_sha256="a" * 64)
    _corrupt(ledger, "UPDATE manifest_events SET stage = 'transfer'")
    with pytest.raises(ValueError, match="unknown stage 'transfer'"):
        ledger.events(key)
    with pytest.raises(ValueError, match="unknown stage 'transfer'"):
        ledger.latest_outputs(["transfer"])  # type: ignore[list-item]


def test_messages_refuse_unknown_severities_and_stages(ledger: Ledger) -> None:
    fields: dict[str, object] = dict(client="acme", feed="members", file_key=None, kind="k",
                                     text="t")
    with pytest.raises(ValueError, match="unknown severity 'error'"):
        ledger.record_message(dedupe_key="a", stage=None, severity="error",  # type: ignore[arg-type]
                              **fields)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown message stage 'poll'"):
        ledger.record_message(dedupe_key="b", stage="poll",  # type: ignore[arg-type]
                              severity="warning", **fields)  # type: ignore[arg-type]
    assert ledger.messages() == []
    kept = ledger.record_message(dedupe_key="c", stage="discovery", severity="critical",
                                 **fields)  # type: ignore[arg-type]
    assert (kept.stage, kept.severity) == ("discovery", "critical")
    _corrupt(ledger, "UPDATE messages SET severity = 'fatal'")
    with pytest.raises(ValueError, match="unknown severity 'fatal'"):
        ledger.messages()


def test_check_results_refuse_and_reject_unknown_severities(ledger: Ledger) -> None:
    key = new_file(ledger).key
    bad = CheckResultInput(check_name="c", rule="r", column="x",
                           severity="critical", passed=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rule severity 'critical'"):
        ledger.record_check_results(key, run_id="r1", phase="validated", results=[bad])
    assert ledger.check_results(key) == []
    good = CheckResultInput(check_name="c", rule="r", column="x", severity="warning",
                            passed=False, failures=1)
    ledger.record_check_results(key, run_id="r1", phase="validated", results=[good])
    assert ledger.check_counts([key]) == {key: {"failure": 0, "warning": 1, "information": 0}}
    _corrupt(ledger, "UPDATE check_results SET severity = 'info'")
    with pytest.raises(ValueError, match="unknown rule severity 'info'"):
        ledger.check_results(key)
    with pytest.raises(ValueError, match="unknown rule severity 'info'"):
        ledger.check_counts([key])


def test_processes_and_errors_keep_their_own_stage_words(ledger: Ledger) -> None:
    """Processes are file stages or ``discover``; registered errors file stages or
    ``discovery``: each vocabulary refuses the other's word."""
    defaults = {"client": "acme", "feed": None, "stage": "discover", "type": "discover",
                "tool": "sftp", "sources": [], "targets": [], "max_failures": 3}
    run = ledger.start_process_run("acme/in/discover", defaults, run_id="t1", file_key=None,
                                   actor="discovery")
    assert run.stage == "discover"
    with pytest.raises(ValueError, match="unknown process stage 'discovery'"):
        ledger.start_process_run("acme/in2/discover", {**defaults, "stage": "discovery"},
                                 run_id="t1", file_key=None, actor="discovery")
    with pytest.raises(ValueError, match="unknown process stage 'poll'"):
        ledger.sync_processes({"acme/in3/discover": {**defaults, "stage": "poll"}})
    error = ledger.record_error(error_class="SourceError", category="operational",
                                message="down", client="acme", stage="discovery")
    assert error.stage == "discovery"
    with pytest.raises(ValueError, match="unknown message stage 'discover'"):
        ledger.record_error(error_class="SourceError", category="operational",
                            message="down", stage="discover")  # type: ignore[arg-type]
    assert [e.stage for e in ledger.errors(since=utcnow() - timedelta(hours=1))] == [
        "discovery"]


def test_run_hold_and_message_statuses_are_read_back_typed(ledger: Ledger) -> None:
    defaults = {"client": "acme", "feed": "members", "stage": "raw", "type": "extract",
                "tool": "sftp", "sources": [], "targets": [], "max_failures": 3}
    run = ledger.start_process_run("acme/members/raw", defaults, run_id="r1", file_key=None,
                                   actor="dagster")
    hold, _ = ledger.place_hold("acme", "members", reason="down", failures=3)
    assert (run.status, hold.status) == ("running", "active")
    _corrupt(ledger, "UPDATE process_runs SET status = 'done'")
    _corrupt(ledger, "UPDATE holds SET status = 'lifted'")
    with pytest.raises(ValueError, match="unknown process run status 'done'"):
        ledger.process_runs()
    with pytest.raises(ValueError, match="unknown hold status 'lifted'"):
        ledger.holds()
