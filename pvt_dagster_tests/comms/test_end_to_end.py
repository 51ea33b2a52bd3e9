"""End to end through Dagster, in process: real gpg-encrypted files, the discovery sensor and
the feed job with its hooks, then the dispatch sensor. The failing file gives one email and one
Case, the warnings file one digest, a file that recovers on a rerun closes its Case; hooks,
the stage and the run-failure sensor never double a message; ``pvt messages`` shows them."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

import dagster as dg
import pytest

from pvt_dagster.cli import main
from pvt_dagster.comms import Dispatcher
from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.dispatch import DISPATCH_SENSOR, RUN_FAILURE_SENSOR
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.ledger.timeutil import utcnow
from pvt_dagster.naming import partition_key
from pvt_dagster_tests.comms.conftest import TOKEN_ENV
from pvt_dagster_tests.support.fixtures import (
    GOOD_ROWS,
    PASSPHRASE,
    PASSPHRASE_ENV,
    IntakeEnv,
    csv_bytes,
)
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn
from pvt_dagster_tests.support.servers.smtp import SmtpServer

BAD = [*GOOD_ROWS, ["10", "000-00-0000", "", "CA"]]
WARN = [*GOOD_ROWS, ["11", "456-78-9012", "12", "ZZ"]]


def _configure(env: IntakeEnv, smtp: SmtpServer, org: SalesforceStandIn) -> None:
    notify = f"""\
notify:
  ui_base_url: http://127.0.0.1:3000
  email: {{host: 127.0.0.1, port: {smtp.port}, sender: pvt@example.org, timeout_seconds: 5}}
  salesforce: {{instance_url: "{org.url}", session_id: {{env: {TOKEN_ENV}}},
               ca_bundle: "{org.cert}", external_id_field: PVT_Key__c}}
  routes:
    - match: {{severity: failure}}
      send: [email:ops@example.org, salesforce]
    - match: {{severity: warning}}
      send: [digest:team@example.org]
  digest_minutes: 60
"""
    env.config_path.write_text(notify + env.config_path.read_text())


def _run(defs: dg.Definitions, instance: dg.DagsterInstance, env: IntakeEnv,
         sensor_name: str = "acme__drop__discover") -> dg.SensorResult | dg.SkipReason:
    resources = {"pvt": PvtIntakeResource(config_path=str(env.config_path))}
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = defs.resolve_sensor_def(sensor_name)(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            instance.add_dynamic_partitions(request.partitions_def_name,
                                            list(request.partition_keys))
    assert isinstance(result, dg.SensorResult | dg.SkipReason)
    return result


def test_failing_rule_gives_one_email_and_one_case_warning_one_digest(
        intake_env: IntakeEnv, smtp_server: SmtpServer, salesforce: SalesforceStandIn,
        capsys: pytest.CaptureFixture[str]) -> None:
    smtp_server.start()
    _configure(intake_env, smtp_server, salesforce)
    defs = build_definitions(str(intake_env.config_path))
    for name, rows in (("good", GOOD_ROWS), ("bad", BAD), ("warn", WARN)):
        intake_env.drop_encrypted(f"members_{name}.csv.pgp", csv_bytes(rows))
    with dg.instance_for_test() as instance:
        _run(defs, instance, intake_env)
        second = _run(defs, instance, intake_env)
        assert isinstance(second, dg.SensorResult)
        results = {}
        for request in second.run_requests or []:
            job = defs.resolve_job_def(request.job_name or "")
            results[request.tags["pvt/file"]] = job.execute_in_process(
                partition_key=request.partition_key, instance=instance, tags=request.tags,
                raise_on_error=False)
        ledger = intake_env.intake().ledger
        by_name = {r.name: r for r in ledger.list_files()}
        bad_key = by_name["members_bad.csv.pgp"].key
        failed_run = results[bad_key]
        assert not failed_run.success

        failure_event = next(e for e in failed_run.all_events
                             if e.event_type == dg.DagsterEventType.RUN_FAILURE)
        run = instance.get_run_by_id(failed_run.run_id)
        resources = {"pvt": PvtIntakeResource(config_path=str(intake_env.config_path))}
        with dg.build_run_status_sensor_context(
                sensor_name=RUN_FAILURE_SENSOR, dagster_instance=instance, dagster_run=run,
                dagster_event=failure_event, resources=resources) as context:
            defs.resolve_sensor_def(RUN_FAILURE_SENSOR)(context.for_run_failure())
        failures = [m for m in ledger.messages() if m.severity == "failure"]
        assert [(m.file_key, m.kind) for m in failures] == [(bad_key, "validated_failed")]

        tick = _run(defs, instance, intake_env, DISPATCH_SENSOR)
        assert isinstance(tick, dg.SkipReason) and "sent 2" in (tick.skip_message or "")
        (mail,) = smtp_server.received
        assert mail["To"] == "ops@example.org" and "members_bad" in mail["Subject"]
        assert f"partition={quote(partition_key(bad_key), safe='')}" in \
            mail.get_body().get_content()
        (case,) = salesforce.cases()
        assert case["Status"] == "New" and "members_bad" in case["Subject"]

        later = Dispatcher(ledger, intake_env.intake().config.notify,
                           clock=lambda: utcnow() + timedelta(minutes=61))
        assert later.run_once().digests == 1
        digest = smtp_server.received[1]
        assert digest["To"] == "team@example.org" and "[PVT digest]" in digest["Subject"]
        assert "members_warn" in digest.get_body().get_content()  # (GOOD_ROWS warn too: "ny")
        assert later.run_once().digests == 0

        assert main(["--config", str(intake_env.config_path), "messages", "--json"]) == 0
        shown = json.loads(capsys.readouterr().out)
        bad = next(m for m in shown if m["file_key"] == bad_key and m["severity"] == "failure")
        assert {c["channel"]: c["status"] for c in bad["channels"]} == {
            "email:ops@example.org": "sent", "salesforce": "sent"}
        assert set(bad) >= {"id", "created_at", "client", "feed", "file_key", "stage", "kind",
                            "severity", "text", "status", "channels"}
        assert main(["--config", str(intake_env.config_path), "messages", "--pending"]) == 0
        assert "0 message(s)" in capsys.readouterr().out



def test_a_file_that_recovers_closes_its_case_once(
        intake_env: IntakeEnv, smtp_server: SmtpServer, salesforce: SalesforceStandIn,
        monkeypatch: pytest.MonkeyPatch) -> None:
    smtp_server.start()
    _configure(intake_env, smtp_server, salesforce)
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_later.csv.pgp", csv_bytes([GOOD_ROWS[0]]))
    monkeypatch.delenv(PASSPHRASE_ENV)  # the passphrase is missing: decryption fails
    with dg.instance_for_test() as instance:
        _run(defs, instance, intake_env)
        (request,) = _run(defs, instance, intake_env).run_requests or []  # type: ignore[union-attr]
        job = defs.resolve_job_def(request.job_name or "")
        assert not job.execute_in_process(partition_key=request.partition_key,
                                          instance=instance, raise_on_error=False).success
        _run(defs, instance, intake_env, DISPATCH_SENSOR)
        (case,) = salesforce.cases()
        assert case["Status"] == "New" and case["PVT_Key__c"].endswith("~decrypted_failed")
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        assert job.execute_in_process(partition_key=request.partition_key,
                                      instance=instance).success
        ledger = intake_env.intake().ledger
        assert [m.kind for m in ledger.messages() if m.kind == "resolved"] == ["resolved"]
        for _ in range(2):
            _run(defs, instance, intake_env, DISPATCH_SENSOR)
        assert [c["Status"] for c in salesforce.cases()] == ["Closed"]
        assert len(smtp_server.received) == 1  # the failure; 'resolved' is not routed to email
        assert ledger.messages(pending=True) == []
