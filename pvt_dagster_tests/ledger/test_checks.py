"""Check results and scrub changes: idempotent per run, read for the latest run."""

from __future__ import annotations

import pytest

from pvt_dagster.errors import UnknownFileError
from pvt_dagster.ledger import CheckResultInput, Ledger, ScrubChangeInput
from pvt_dagster_tests.ledger.helpers import new_file


def _results(ssn_failures: int = 2) -> list[CheckResultInput]:
    return [
        CheckResultInput(check_name="ssn__pattern", rule="pattern", column="SSN",
                         severity="failure", passed=ssn_failures == 0, failures=ssn_failures,
                         rows=[2, 5][:ssn_failures], samples=["***-**-1234"][:ssn_failures],
                         message="2 values do not match ssn"),
        CheckResultInput(check_name="phone__pattern", rule="pattern", column="phone",
                         severity="warning", passed=False, failures=1, rows=[3],
                         samples=["(***) ***-**12"]),
        CheckResultInput(check_name="state__in_list", rule="in_list", column="state",
                         severity="information", passed=True, failures=4),
        CheckResultInput(check_name="zip__pattern", rule="pattern", column="zip",
                         severity="warning", passed=True, failures=0),
    ]


def test_recording_twice_is_idempotent(ledger: Ledger) -> None:
    key = new_file(ledger).key
    ledger.record_check_results(key, run_id="r1", phase="validated", results=_results())
    ledger.record_check_results(key, run_id="r1", phase="validated", results=_results())
    results = ledger.check_results(key)
    assert len(results) == 4
    ssn = results[0]
    assert (ssn.check_name, ssn.column, ssn.severity, ssn.passed, ssn.failures) == (
        "ssn__pattern", "SSN", "failure", False, 2)
    assert (ssn.rows, ssn.samples, ssn.run_id, ssn.phase) == (
        [2, 5], ["***-**-1234"], "r1", "validated")


def test_latest_run_per_phase_and_counts(ledger: Ledger) -> None:
    key = new_file(ledger).key
    other = new_file(ledger, name="other.csv").key
    ledger.record_check_results(key, run_id="r1", phase="validated", results=_results())
    ledger.record_check_results(key, run_id="r1", phase="scrubbed", results=_results()[:1])
    assert ledger.check_counts([key]) == {key: {"failure": 1, "warning": 1, "information": 1}}
    ledger.record_check_results(key, run_id="r2", phase="validated",
                                results=_results(ssn_failures=0))
    assert {r.run_id for r in ledger.check_results(key, phase="validated")} == {"r2"}
    assert [(r.phase, r.run_id) for r in ledger.check_results(key, phase="scrubbed")] == [
        ("scrubbed", "r1")]
    assert len(ledger.check_results(key)) == 5
    counts = ledger.check_counts()
    assert counts[key] == {"failure": 0, "warning": 1, "information": 1}
    assert counts[other] == {"failure": 0, "warning": 0, "information": 0}


def test_invalid_inputs(ledger: Ledger) -> None:
    key = new_file(ledger).key
    with pytest.raises(ValueError, match="phase"):
        ledger.record_check_results(key, run_id="r", phase="raw", results=[])
    with pytest.raises(UnknownFileError):
        ledger.record_check_results("a/b/c", run_id="r", phase="validated", results=_results())


def test_scrub_changes_idempotent_latest_run(ledger: Ledger) -> None:
    key = new_file(ledger).key
    changes = [
        ScrubChangeInput(column="phone", action="digits_only", step=2, rows_changed=1, rows=[4],
                         samples=[("(***) ***-**12", "*******12")]),
        ScrubChangeInput(column="ssn", action="strip_hyphens", step=1, rows_changed=3,
                         rows=[1, 2, 3], samples=[("***-**-1234", "*****1234")]),
    ]
    ledger.record_scrub_changes(key, run_id="r1", changes=changes)
    ledger.record_scrub_changes(key, run_id="r1", changes=changes)
    got = ledger.scrub_changes(key)
    assert [(c.step, c.column, c.rows_changed) for c in got] == [(1, "ssn", 3), (2, "phone", 1)]
    assert got[0].samples == [("***-**-1234", "*****1234")] and got[0].rows == [1, 2, 3]
    ledger.record_scrub_changes(key, run_id="r2", changes=changes[:1])
    assert [(c.run_id, c.column) for c in ledger.scrub_changes(key)] == [("r2", "phone")]


def test_check_counts_where_match_check_counts(ledger: Ledger) -> None:
    key = new_file(ledger).key
    other = new_file(ledger, name="other.csv", feed="claims").key
    quiet = new_file(ledger, name="quiet.csv").key
    ledger.record_check_results(key, run_id="r1", phase="validated", results=_results())
    ledger.record_check_results(key, run_id="r2", phase="validated",
                                results=_results(ssn_failures=0))
    ledger.record_check_results(key, run_id="r3", phase="scrubbed", results=_results())
    ledger.record_check_results(other, run_id="r1", phase="validated", results=_results())
    everything = ledger.check_counts()
    where = ledger.check_counts_where()
    assert where == {k: everything[k] for k in (key, other)}
    assert quiet not in where  # no validated results: the caller's zero counts
    assert where[key] == {"failure": 0, "warning": 1, "information": 1}
    assert ledger.check_counts_where(client="acme", feed="members") == {key: where[key]}
    assert ledger.check_counts_where(feed="claims") == {other: where[other]}
    ledger.update_file(other, status="failed")
    assert ledger.check_counts_where(status="failed") == {other: where[other]}
    assert ledger.check_counts_where(status=["delivered", "discovered"]) == {key: where[key]}
    assert ledger.check_counts_where(client="nobody") == {}
