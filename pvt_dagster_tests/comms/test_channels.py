"""Each channel against its real server: SMTP with STARTTLS and a login, implicit TLS, refusal
of an unknown certificate; Salesforce through an OAuth client-credentials token URL and a
private CA; a missing channel block keeps messages pending rather than losing them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.comms import Dispatcher
from pvt_dagster.comms.email import SmtpSender
from pvt_dagster.comms.render import EmailText
from pvt_dagster.config.notify import EmailConfig
from pvt_dagster.errors import ChannelUnavailableError
from pvt_dagster.ledger import Ledger
from pvt_dagster_tests.comms.conftest import Clock, add_message, notify
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn
from pvt_dagster_tests.support.servers.smtp import SmtpServer

TEXT = EmailText("[PVT FAILURE] acme/members f: validated_failed", "body ***-**-6789\n")


def _sender(server: SmtpServer, **extra: object) -> SmtpSender:
    return SmtpSender(EmailConfig.model_validate({
        "host": "127.0.0.1", "port": server.port, "sender": "pvt@example.org",
        "security": server.security, "timeout_seconds": 5, **extra}))


def test_starttls_with_login_and_private_ca(tls_cert: tuple[Path, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tls_cert
    server = SmtpServer(security="starttls", cert=cert, key=key, login=("pvt", "s3cret"))
    server.start()
    try:
        monkeypatch.setenv("PVT_TEST_SMTP_PASSWORD", "s3cret")
        sender = _sender(server, ca_bundle=str(cert), username="pvt",
                         password={"env": "PVT_TEST_SMTP_PASSWORD"})
        assert sender.send(to="ops@example.org", text=TEXT, message_id="<a@example.org>") == \
            "<a@example.org>"
        monkeypatch.setenv("PVT_TEST_SMTP_PASSWORD", "wrong")
        with pytest.raises(ChannelUnavailableError, match="login as pvt refused"):
            sender.send(to="ops@example.org", text=TEXT, message_id="<b@example.org>")
    finally:
        server.stop()
    (mail,) = server.received
    assert (mail["Message-ID"], mail["Subject"]) == ("<a@example.org>", TEXT.subject)


def test_implicit_tls_and_an_unknown_certificate_is_refused(
        tls_cert: tuple[Path, Path]) -> None:
    cert, key = tls_cert
    server = SmtpServer(security="ssl", cert=cert, key=key)
    server.start()
    try:
        _sender(server, ca_bundle=str(cert)).send(to="ops@example.org", text=TEXT,
                                                  message_id="<c@example.org>")
        with pytest.raises(ChannelUnavailableError, match="TLS failed"):
            _sender(server).send(to="ops@example.org", text=TEXT, message_id="<d@example.org>")
    finally:
        server.stop()
    assert [m["Message-ID"] for m in server.received] == ["<c@example.org>"]


def test_salesforce_through_an_oauth_token_url(
        ledger: Ledger, salesforce: SalesforceStandIn, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_SF_ID", salesforce.client_id)
    monkeypatch.setenv("PVT_TEST_SF_SECRET", salesforce.client_secret)
    config = notify(org=salesforce, routes=[{"send": ["salesforce"]}], salesforce={
        "session_id": None, "token_url": f"{salesforce.url}/services/oauth2/token",
        "client_id": {"env": "PVT_TEST_SF_ID"}, "client_secret": {"env": "PVT_TEST_SF_SECRET"}})
    add_message(ledger)
    assert Dispatcher(ledger, config, clock=clock).run_once().sent == 1
    assert ("POST", "/services/oauth2/token") in salesforce.requests
    assert len(salesforce.cases()) == 1


def test_a_channel_without_its_block_keeps_messages_pending(
        ledger: Ledger, clock: Clock) -> None:
    message = add_message(ledger)
    dispatcher = Dispatcher(ledger, notify(routes=[{"send": ["email:ops@example.org",
                                                             "salesforce"]}]), clock=clock)
    assert dispatcher.run_once().retrying == 2
    errors = {d.channel: d.last_error for d in ledger.deliveries_of(message.id)}
    assert "no notify.email block" in (errors["email:ops@example.org"] or "")
    assert "no notify.salesforce block" in (errors["salesforce"] or "")
    assert ledger.message(message.id).status == "pending"
