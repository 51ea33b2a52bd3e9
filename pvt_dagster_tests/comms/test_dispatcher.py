"""The dispatcher against a real SMTP server and the HTTPS Salesforce stand-in driven by
simple-salesforce: each message reaches each channel exactly once, a channel that is down
keeps messages pending until it is back, 401/500 are retried and reported, a restart resends
nothing, Cases are upserted by external id and closed when the file recovers, digests compile."""

from __future__ import annotations

import logging

import pytest

from pvt_dagster.comms import Dispatcher
from pvt_dagster.ledger import Ledger
from pvt_dagster_tests.comms.conftest import Clock, add_message, notify
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn
from pvt_dagster_tests.support.servers.smtp import SmtpServer

FAILURES = [{"match": {"severity": "failure"}, "send": ["email:ops@example.org", "salesforce"]},
            {"match": {"severity": "warning"}, "send": ["digest:ops@example.org"]}]


def _statuses(ledger: Ledger, message_id: int) -> dict[str, str]:
    return {d.channel: d.status for d in ledger.deliveries_of(message_id)}


def test_failure_reaches_email_and_salesforce_once(
        ledger: Ledger, smtp_server: SmtpServer, salesforce: SalesforceStandIn,
        clock: Clock) -> None:
    smtp_server.start()
    message = add_message(ledger)
    dispatcher = Dispatcher(ledger, notify(smtp=smtp_server, org=salesforce, routes=FAILURES),
                            clock=clock)
    report = dispatcher.run_once()
    assert (report.routed, report.sent, report.retrying) == (1, 2, 0)
    for _ in range(2):
        clock.advance(hours=2)
        assert dispatcher.run_once().sent == 0
    (mail,) = smtp_server.received
    assert mail["To"] == "ops@example.org" and "[PVT FAILURE] acme/members" in mail["Subject"]
    (case,) = salesforce.cases()
    assert case["PVT_Key__c"] == \
        "acme~members~20261123T100000Z-members_bad.csv~validated_failed"
    assert case["Status"] == "New" and case["Priority"] == "High"
    deliveries = {d.channel: d for d in ledger.deliveries_of(message.id)}
    assert deliveries["email:ops@example.org"].external_id == mail["Message-ID"]
    assert deliveries["salesforce"].external_id == case["Id"]
    assert ledger.message(message.id).status == "sent"


def test_smtp_down_then_up_delivers_once(ledger: Ledger, smtp_server: SmtpServer,
                                         clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    first, second = add_message(ledger, "a"), add_message(ledger, "b")
    config = notify(smtp=smtp_server, routes=[{"send": ["email:ops@example.org"]}])
    dispatcher = Dispatcher(ledger, config, clock=clock)
    with caplog.at_level(logging.WARNING, logger="pvt_dagster.comms"):
        report = dispatcher.run_once()
    assert (report.sent, report.retrying) == (0, 1)  # the second waits: the relay is down
    assert "attempt 1 failed" in caplog.text
    pending = ledger.messages(pending=True)
    assert [m.id for m in pending] == [first.id, second.id]
    assert "smtp 127.0.0.1" in (ledger.deliveries_of(first.id)[0].last_error or "")
    smtp_server.start()
    assert dispatcher.run_once().sent == 0  # backing off
    clock.advance(seconds=31)
    assert dispatcher.run_once().sent == 2
    clock.advance(hours=1)
    assert dispatcher.run_once().sent == 0
    assert len(smtp_server.received) == 2 and ledger.messages(pending=True) == []
    assert ledger.deliveries_of(first.id)[0].attempts == 2


def test_restart_resends_nothing_and_a_stale_claim_keeps_its_message_id(
        ledger: Ledger, smtp_server: SmtpServer, clock: Clock) -> None:
    smtp_server.start()
    config = notify(smtp=smtp_server, routes=[{"send": ["email:ops@example.org"]}])
    add_message(ledger, "sent_before_restart")
    Dispatcher(ledger, config, clock=clock).run_once()
    crashed = add_message(ledger, "claimed_then_crashed")
    Dispatcher(ledger, config, clock=clock)._channels(crashed)
    ledger.route_message(crashed.id, {"email:ops@example.org": "<pvt.fixed@example.org>"},
                         at=clock())
    (delivery,) = ledger.deliveries_of(crashed.id)
    assert ledger.claim(delivery, now=clock(), stale_before=clock()) is not None  # then dies
    with Ledger(ledger.url) as reopened:  # a new process over the same ledger
        restarted = Dispatcher(reopened, config, clock=clock)
        clock.advance(minutes=5)
        assert restarted.run_once().sent == 0  # the claim is not stale yet
        clock.advance(minutes=6)
        assert restarted.run_once().sent == 1
        clock.advance(hours=1)
        assert restarted.run_once().sent == 0
    assert [m["Message-ID"] for m in smtp_server.received][1:] == ["<pvt.fixed@example.org>"]
    assert len(smtp_server.received) == 2


def test_salesforce_401_and_500_are_retried_then_reported(
        ledger: Ledger, salesforce: SalesforceStandIn, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    message = add_message(ledger)
    dispatcher = Dispatcher(ledger, notify(org=salesforce,
                                           routes=[{"send": ["salesforce"]}]), clock=clock)
    salesforce.fail_next(401)
    salesforce.fail_next(500)
    with caplog.at_level(logging.WARNING, logger="pvt_dagster.comms"):
        assert dispatcher.run_once().retrying == 1
        (delivery,) = ledger.deliveries_of(message.id)
        assert "401 INVALID_SESSION_ID" in (delivery.last_error or "")
        clock.advance(seconds=31)
        assert dispatcher.run_once().retrying == 1
        (delivery,) = ledger.deliveries_of(message.id)
        assert "500" in (delivery.last_error or "") and delivery.status == "pending"
        assert ledger.message(message.id).status == "pending"
        clock.advance(seconds=61)
        assert dispatcher.run_once().sent == 1
    assert "session expired" in caplog.text and "attempt 2 failed" in caplog.text
    assert len(salesforce.cases()) == 1
    (delivery,) = ledger.deliveries_of(message.id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 3, None)


def test_same_problem_again_updates_the_case_and_recovery_closes_it(
        ledger: Ledger, salesforce: SalesforceStandIn, clock: Clock) -> None:
    config = notify(org=salesforce, routes=[{"match": {"severity": "failure"},
                                             "send": ["salesforce"]}])
    dispatcher = Dispatcher(ledger, config, clock=clock)
    add_message(ledger, run_id="11111111-1111-1111-1111-111111111111")
    dispatcher.run_once()
    add_message(ledger, run_id="22222222-2222-2222-2222-222222222222",
                text="failed again at validated")
    dispatcher.run_once()
    (case,) = salesforce.cases()
    assert "failed again" in case["Description"]
    key = "acme/members/20261123T100000Z-members_bad.csv"
    resolved = ledger.record_message(
        dedupe_key=f"{key}:resolved:2", client="acme", feed="members", file_key=key,
        stage="delivered", kind="resolved", severity="information", text=f"{key} recovered")
    assert dispatcher.run_once().sent == 2  # the log (no route matches) and the Case
    assert _statuses(ledger, resolved.id) == {"log": "sent", "salesforce": "sent"}
    assert salesforce.cases()[0]["Status"] == "Closed"


def test_recovery_comments_when_no_closed_status(
        ledger: Ledger, salesforce: SalesforceStandIn, clock: Clock) -> None:
    config = notify(org=salesforce, routes=[{"send": ["salesforce"]}],
                    salesforce={"closed_status": None})
    dispatcher = Dispatcher(ledger, config, clock=clock)
    add_message(ledger)
    key = "acme/members/20261123T100000Z-members_bad.csv"
    ledger.record_message(dedupe_key="r", client="acme", feed="members", file_key=key,
                          stage="delivered", kind="resolved", severity="information",
                          text=f"{key} recovered")
    dispatcher.run_once()
    (case,) = salesforce.cases()
    (comment,) = salesforce.records["CaseComment"].values()
    assert comment["ParentId"] == case["Id"] and case["Status"] == "New"


def test_warnings_compile_into_one_digest_per_interval(
        ledger: Ledger, smtp_server: SmtpServer, clock: Clock) -> None:
    smtp_server.start()
    dispatcher = Dispatcher(ledger, notify(smtp=smtp_server, routes=FAILURES,
                                           digest_minutes=60), clock=clock)
    ids = [add_message(ledger, n, severity="warning", kind="rule_warning").id
           for n in ("a", "b", "c")]
    assert dispatcher.run_once().sent == 0
    clock.advance(minutes=30)
    assert dispatcher.run_once().sent == 0  # the oldest has waited 30 of 60 minutes
    clock.advance(minutes=31)
    ids.append(add_message(ledger, "d", severity="warning", kind="rule_warning").id)
    report = dispatcher.run_once()
    assert (report.digests, report.sent) == (1, 1)  # everything waiting goes in it
    (digest,) = smtp_server.received
    assert "4 message(s)" in digest["Subject"]
    body = digest.get_body(preferencelist=("plain",)).get_content()
    assert all(f"members_{n}.csv" in body for n in "abcd")
    assert all(ledger.message(i).status == "sent" for i in ids)
    later = add_message(ledger, "e", severity="warning", kind="rule_warning")
    clock.advance(minutes=10)
    assert dispatcher.run_once().sent == 0
    assert ledger.message(later.id).status == "pending"
    clock.advance(minutes=61)  # one interval after it was routed
    assert dispatcher.run_once().sent == 1
    assert len(smtp_server.received) == 2 and ledger.message(later.id).status == "sent"
    assert "members_e" in smtp_server.received[1]["Subject"]


def test_refused_recipient_gives_up_and_says_so(
        ledger: Ledger, smtp_server: SmtpServer, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    smtp_server.refuse.add("nobody@example.org")
    smtp_server.start()
    message = add_message(ledger)
    config = notify(smtp=smtp_server, routes=[{"send": ["email:nobody@example.org", "log"]}])
    with caplog.at_level(logging.INFO, logger="pvt_dagster.comms"):
        report = Dispatcher(ledger, config, clock=clock).run_once()
    assert (report.failed, report.sent) == (1, 1)
    assert _statuses(ledger, message.id) == {"email:nobody@example.org": "failed", "log": "sent"}
    assert ledger.message(message.id).status == "failed"
    assert "given up" in caplog.text and "[failure] acme/members" in caplog.text
