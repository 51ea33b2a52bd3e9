"""A run that ends without finishing its file (a killed run worker, a lost machine) never
strands the file: the discovery tick runs it again under a fresh run key once the grace period
is over, at most ``recovery.max_retries`` times, then fails it with a message."""

from __future__ import annotations

import dagster as dg

from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.names import RUN_KEY_TAG, TAG_FILE
from pvt_dagster.naming import partition_key, stage_asset_path
from pvt_dagster_tests.defs.test_end_to_end import tick
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes

RECOVERY = "    recovery: {grace_seconds: 0, max_retries: 1}\n    polling:"


def _with_recovery(env: IntakeEnv) -> None:
    env.config_path.write_text(env.config_path.read_text().replace("    polling:", RECOVERY, 1))


def _dead_run(defs: dg.Definitions, instance: dg.DagsterInstance, request: dg.RunRequest,
              stages: list[str]) -> dg.ExecuteInProcessResult:
    """A run of the file's job that stops after ``stages`` (as a killed worker would), with
    the request's run key, so Dagster counts the key as used."""
    job = defs.resolve_job_def(request.job_name or "")
    return job.execute_in_process(
        partition_key=request.partition_key, instance=instance, raise_on_error=False,
        tags={**request.tags, RUN_KEY_TAG: request.run_key or ""},
        asset_selection=[dg.AssetKey(stage_asset_path("acme", "members", s)) for s in stages])


def test_stranded_files_run_again_then_fail_after_too_many_tries(intake_env: IntakeEnv) -> None:
    _with_recovery(intake_env)
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_mid.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("members_early.csv.pgp", csv_bytes(GOOD_ROWS[:1]))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        requests = {r.tags[TAG_FILE]: r for r in tick(defs, instance, intake_env).run_requests}
        mid, early = sorted(requests, key=lambda k: "early" in k)
        # One run died after raw and decrypted; the other before any stage had run.
        assert _dead_run(defs, instance, requests[mid], ["raw", "decrypted"]).success
        assert not _dead_run(defs, instance, requests[early], ["delivered"]).success
        ledger = intake_env.intake().ledger
        assert ledger.get_file(mid).status == "decrypted"
        assert ledger.get_file(early).status == "discovered"

        again = {r.tags[TAG_FILE]: r for r in tick(defs, instance, intake_env).run_requests}
        assert {k: r.run_key for k, r in again.items()} == {mid: f"{mid}#1",
                                                           early: f"{early}#1"}
        job = defs.resolve_job_def(again[mid].job_name or "")
        assert job.execute_in_process(partition_key=partition_key(mid), instance=instance,
                                      tags=again[mid].tags).success
        assert ledger.get_file(mid).status == "delivered"
        actions = ledger.operator_actions(target=mid)
        assert [(a.action, a.user) for a in actions] == [("auto_retry", "discovery")]

        # The early file's retry dies too: it has used its one retry, so it is failed.
        assert not _dead_run(defs, instance, again[early], ["delivered"]).success
        last = tick(defs, instance, intake_env)
        assert last.run_requests == []
        record = ledger.get_file(early)
        assert record.status == "failed" and "ended 2 times without finishing" in record.error
        (message,) = [m for m in ledger.messages(file_key=early) if m.kind == "stranded"]
        assert message.severity == "failure"
        assert tick(defs, instance, intake_env).run_requests == []  # reported once


def test_a_running_or_recent_run_is_left_alone(intake_env: IntakeEnv) -> None:
    intake_env.config_path.write_text(intake_env.config_path.read_text().replace(
        "    polling:", "    recovery: {grace_seconds: 3600}\n    polling:", 1))
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_slow.csv.pgp", csv_bytes(GOOD_ROWS))
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        (request,) = tick(defs, instance, intake_env).run_requests
        assert _dead_run(defs, instance, request, ["raw"]).success
        assert tick(defs, instance, intake_env).run_requests == []  # within the grace period
        assert intake_env.intake().ledger.get_file(request.tags[TAG_FILE]).status == \
            "received"
