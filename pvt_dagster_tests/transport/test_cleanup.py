"""Clean-up at the source is never skipped and never deletes what was not read: a run killed
between "received" and the delete leaves the clean-up pending, and the next discovery tick (or
a rerun of raw) finishes it; a delete the server refuses is a ``critical`` event, sent at once
and retried until it succeeds; an entry replaced at the source by a same-name re-upload right
before the delete is kept, recorded and reported, then taken as a new delivery."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from pvt_dagster.pipeline import Intake
from pvt_dagster.pipeline import raw as raw_stage
from pvt_dagster.pipeline.raw import run_raw
from pvt_dagster.pipeline.recording import utcnow
from pvt_dagster.polling.tick import DiscoveryTick, discovery_tick
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import run_file, settle
from pvt_dagster_tests.support.remote import encrypted, use_source
from pvt_dagster_tests.support.servers.sshd import SshServer

NO_GRACE = "recovery: {grace_seconds: 0}"
LOCAL_DELETE = "        kind: local\n        path: inbox\n        after_transfer: delete\n"


def _tick(intake: Intake, source: str = "drop") -> DiscoveryTick:
    """One discovery tick of the source, as the sensor runs it."""
    return discovery_tick(intake.ledger, "acme", intake.config.clients["acme"], source,
                          ["members", "plain"], lambda: intake.source("acme", source),
                          now=utcnow(), tick="tick-test")


def _crash_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the raw stage die right after the file is received, before the clean-up."""
    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("run worker killed")
    monkeypatch.setattr(raw_stage, "clean_up", killed)


def test_a_run_killed_before_the_delete_is_finished_by_the_next_tick(
        intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    use_source(intake_env, LOCAL_DELETE, client_extra=NO_GRACE)
    path = intake_env.drop_plain("plain_a.csv", b"ssn\n123-45-6789\n")
    intake = intake_env.intake()
    (ready,) = settle(intake)
    with monkeypatch.context() as patch:
        _crash_before(patch)
        with pytest.raises(KeyboardInterrupt):
            run_raw(intake, ready.key, run_id="killed")
    record = intake.ledger.get_file(ready.key)
    assert (record.status, record.source_cleanup) == ("received", "pending")
    assert path.exists()  # the source still holds it
    tick = _tick(intake)
    assert [c.state for c in tick.cleaned_up] == ["done"]
    assert not path.exists()
    assert intake.ledger.get_file(ready.key).source_cleanup == "done"
    deletes = [e.outcome for e in intake.ledger.events(ready.key)
               if e.action == "after_transfer:delete"]
    assert deletes == ["ok"]
    assert _tick(intake).cleaned_up == []  # nothing left to do
    assert intake.ledger.verify_chains() == []


def test_a_rerun_of_raw_finishes_a_pending_clean_up(intake_env: IntakeEnv,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = intake_env.drop_plain("plain_b.csv", b"ssn\n123-45-6789\n")
    intake = intake_env.intake()
    (ready,) = settle(intake)
    with monkeypatch.context() as patch:
        _crash_before(patch)
        with pytest.raises(KeyboardInterrupt):
            run_raw(intake, ready.key, run_id="killed")
    assert run_file(intake, ready.key) == "delivered"  # raw re-verifies, then cleans up
    assert not path.exists() and (intake_env.root / "archive" / "plain_b.csv").exists()
    assert intake.ledger.get_file(ready.key).source_cleanup == "done"


def test_a_refused_delete_is_critical_and_retried_until_it_succeeds(
        intake_env: IntakeEnv, sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=NO_GRACE)
    path = sshd.put("members_stuck.csv.pgp", encrypted(intake_env, csv_bytes(GOOD_ROWS)))
    os.chmod(sshd.upload, 0o555)  # the account can read but not delete
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
        assert run_file(intake, ready.key) == "delivered"
        assert intake.ledger.get_file(ready.key).source_cleanup == "failed"
        (message,) = [m for m in intake.ledger.messages(file_key=ready.key)
                      if m.kind == "source_cleanup_failed"]
        assert message.severity == "critical"
        assert [c.state for c in _tick(intake).cleaned_up] == ["failed"]  # still refused
        assert len([m for m in intake.ledger.messages(file_key=ready.key)
                    if m.kind == "source_cleanup_failed"]) == 1  # said once, not every tick
    finally:
        os.chmod(sshd.upload, 0o755)
    assert [c.state for c in _tick(intake).cleaned_up] == ["done"]
    assert not path.exists()
    intake.close()


def _replace_then(real: Callable[..., object], path: os.PathLike[str]) -> Callable[..., object]:
    """``clean_up`` that first lets a same-name re-upload replace the file at the source."""
    def clean_up(*args: object, **kwargs: object) -> object:
        os.unlink(path)
        with open(path, "wb") as handle:  # a new inode, new bytes, same name
            handle.write(b"ssn\n999-99-9999\n")
        time.sleep(0.01)
        return real(*args, **kwargs)
    return clean_up


def test_a_same_name_reupload_before_the_delete_is_kept_and_taken_in(
        intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    use_source(intake_env, LOCAL_DELETE)
    path = intake_env.drop_plain("plain_c.csv", b"ssn\n123-45-6789\n")
    intake = intake_env.intake()
    (ready,) = settle(intake)
    with monkeypatch.context() as patch:
        patch.setattr(raw_stage, "clean_up", _replace_then(raw_stage.clean_up, path))
        run_raw(intake, ready.key, run_id="r1")
    assert path.read_bytes() == b"ssn\n999-99-9999\n"  # the re-upload was not deleted unread
    assert intake.ledger.get_file(ready.key).source_cleanup == "kept"
    kinds = {m.kind: m.severity for m in intake.ledger.messages(file_key=ready.key)}
    assert kinds["source_replaced"] == "warning"
    (again,) = settle(intake)
    assert again.key != ready.key and run_file(intake, again.key) == "delivered"
    assert not path.exists()
