"""Holds under real repeated failures: files encrypted to a key we do not hold (decrypt
failures are operational) and a source folder that cannot be listed put a feed on hold after
``max_consecutive_failures``; the discovery sensor then requests no runs for it (files wait as
``on_hold``), one message says why, and a release (CLI or Dagster job) lets them catch up.
Bad data (failure rules) never puts a feed on hold."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pytest

from pvt_dagster.cli import main
from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.holds import RELEASE_JOB
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.naming import stage_asset_path
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import run_file, settle
from pvt_dagster_tests.tracking.helpers import set_max_failures, tick

BAD_ROWS = [["1", "000-00-000", "", "CA"]]  # fails the ssn pattern (failure severity)


def _run(defs: dg.Definitions, instance: dg.DagsterInstance,
         request: dg.RunRequest) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def(request.job_name or "")
    return job.execute_in_process(partition_key=request.partition_key, instance=instance,
                                  tags=request.tags, raise_on_error=False)


def test_decrypt_failures_hold_the_feed_and_release_catches_up(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    set_max_failures(intake_env, 2)
    defs = build_definitions(str(intake_env.config_path))
    for name in ("members_a.csv.pgp", "members_b.csv.pgp"):
        intake_env.drop_encrypted(name, csv_bytes(GOOD_ROWS), to_other_key=True)
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        first = tick(defs, instance, intake_env)
        assert isinstance(first, dg.SensorResult) and len(first.run_requests or []) == 2
        for request in first.run_requests or []:
            assert not _run(defs, instance, request).success
        ledger = intake_env.intake().ledger
        (hold,) = ledger.active_holds()
        assert (hold.client, hold.feed, hold.failures) == ("acme", "members", 2)
        assert "NoSecretKeyError" not in hold.reason and "consecutive" in hold.reason
        notices = [m for m in ledger.messages() if m.kind == "feed_on_hold"]
        assert len(notices) == 1 and "pvt holds release acme/members" in notices[0].text
        failed_runs = [r for r in ledger.process_runs(client="acme", feed="members")
                       if r.status == "failed"]
        assert {r.stage for r in failed_runs} == {"decrypted"}
        assert {r.category for r in failed_runs} == {"operational"}
        assert all(len(r.run_id) == 36 for r in failed_runs)  # linked to Dagster run ids

        # While on hold, a good file is observed but gets no run; the other feed still runs.
        intake_env.drop_encrypted("members_c.csv.pgp", csv_bytes(GOOD_ROWS))
        intake_env.drop_plain("plain_1.csv", csv_bytes([["123-45-6789"]], ["ssn"]))
        tick(defs, instance, intake_env)
        held_tick = tick(defs, instance, intake_env)
        assert isinstance(held_tick, dg.SensorResult)
        requested = [r.tags["pvt/file"] for r in held_tick.run_requests or []]
        assert len(requested) == 1 and requested[0].startswith("acme/plain/")
        observed = [e for e in held_tick.asset_events
                    if isinstance(e, dg.AssetObservation)]
        raw = dg.AssetKey(stage_asset_path("acme", "members", "raw"))
        assert observed and observed[0].asset_key == raw
        assert observed[0].metadata["on_hold"].value is True
        assert _run(defs, instance, (held_tick.run_requests or [])[0]).success
        waiting = ledger.list_files(feed="members", status="on_hold")
        assert [f.name for f in waiting] == ["members_c.csv.pgp"]
        quiet = tick(defs, instance, intake_env, cursor=held_tick.cursor)
        assert isinstance(quiet, dg.SensorResult) and not quiet.asset_events
        assert quiet.skip_reason is not None and "ON HOLD" in (quiet.skip_reason.skip_message
                                                                or "")

        assert main(["--config", str(intake_env.config_path), "holds", "list", "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert [(h["feed"], h["status"], h["waiting_files"]) for h in listed] == [
            ("acme/members", "active", 1)]
        assert main(["--config", str(intake_env.config_path), "holds", "release",
                     "acme/members", "--user", "ops-anna", "--note", "key rotated"]) == 0
        (action,) = ledger.operator_actions(target="acme/members")
        assert (action.action, action.user, action.details["note"]) == (
            "release", "ops-anna", "key rotated")
        released = ledger.get_file(waiting[0].key)
        assert (released.status, released.run_seq) == ("discovered", 1)

        catch_up = tick(defs, instance, intake_env)
        assert isinstance(catch_up, dg.SensorResult)
        (request,) = catch_up.run_requests or []
        assert request.run_key == f"{released.key}#1"  # a fresh run key: Dagster runs it
        assert _run(defs, instance, request).success
        assert ledger.get_file(released.key).status == "delivered"
        assert main(["--config", str(intake_env.config_path), "holds", "release",
                     "acme/members"]) == 1  # not on hold any more


def test_bad_data_never_holds_a_feed(intake_env: IntakeEnv) -> None:
    set_max_failures(intake_env, 2)
    for n in range(3):
        intake_env.drop_encrypted(f"members_bad{n}.csv.pgp", csv_bytes(BAD_ROWS))
    intake = intake_env.intake()
    try:
        for record in settle(intake):
            assert run_file(intake, record.key) == "failed"
        assert intake.ledger.active_holds() == []
        categories = {e.category for e in intake.ledger.errors()}
        assert categories == {"data"}
    finally:
        intake.close()


def test_plain_files_on_an_encrypted_feed_are_bad_data_not_a_hold(
        intake_env: IntakeEnv) -> None:
    set_max_failures(intake_env, 2)
    for n in range(3):
        intake_env.drop_plain(f"members_plain{n}.csv.pgp", csv_bytes(GOOD_ROWS[n:]))
    intake = intake_env.intake()
    try:
        for record in settle(intake):
            assert run_file(intake, record.key) == "failed"
        assert intake.ledger.active_holds() == []
        assert {(e.error_class, e.category) for e in intake.ledger.errors()} == {
            ("NotEncryptedError", "data")}
    finally:
        intake.close()


def test_a_source_that_cannot_be_listed_holds_its_feeds(intake_env: IntakeEnv) -> None:
    set_max_failures(intake_env, 3)
    defs = build_definitions(str(intake_env.config_path))
    shutil.rmtree(intake_env.inbox)
    intake_env.inbox.write_text("not a folder")  # listing fails, even as root
    with dg.instance_for_test() as instance:
        reasons = []
        for _ in range(3):
            skipped = tick(defs, instance, intake_env)
            assert isinstance(skipped, dg.SkipReason)
            reasons.append(skipped.skip_message or "")
        assert all("cannot list" in r for r in reasons)
        ledger = intake_env.intake().ledger
        assert sorted(h.feed for h in ledger.active_holds()) == ["members", "plain"]
        errors = [e for e in ledger.errors() if e.stage == "discovery"]
        assert len(errors) == 3 and {e.category for e in errors} == {"operational"}

        intake_env.inbox.unlink()
        intake_env.inbox.mkdir()
        intake_env.drop_encrypted("members_late.csv.pgp", csv_bytes(GOOD_ROWS))
        tick(defs, instance, intake_env)
        held = tick(defs, instance, intake_env)
        assert isinstance(held, dg.SensorResult) and not held.run_requests
        (late,) = ledger.list_files(feed="members")
        assert late.status == "on_hold"
        statuses = [r.status for r in ledger.process_runs(process="acme/drop/discover")]
        assert statuses[0] == "completed" and statuses.count("failed") == 3

        # The Dagster job releases it too; the file runs at the next tick.
        job = defs.resolve_job_def(RELEASE_JOB)
        result = job.execute_in_process(
            instance=instance,
            run_config={"ops": {"release_hold": {"config": {"feed": "acme/members",
                                                            "user": "ops-ben"}}}},
            resources={"pvt": PvtIntakeResource(config_path=str(intake_env.config_path))})
        assert result.success
        assert ledger.operator_actions(target="acme/members")[0].user == "ops-ben"
        after = tick(defs, instance, intake_env)
        assert isinstance(after, dg.SensorResult)
        assert [r.run_key for r in after.run_requests or []] == [f"{late.key}#1"]
        assert [h.feed for h in ledger.active_holds()] == ["plain"]
