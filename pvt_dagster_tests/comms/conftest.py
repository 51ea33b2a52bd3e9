"""Fixtures for the communication manager: a real SMTP server (aiosmtpd) and an HTTPS
Salesforce stand-in on 127.0.0.1, a controllable clock, config builders, and a scan of every
email and Case body the suite sent (none may hold an SSN or a phone number in clear)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pvt_dagster.config.notify import NotifyConfig
from pvt_dagster.ledger import Ledger, MessageRecord
from pvt_dagster.masking import has_pii
from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
from pvt_dagster_tests.support.servers import salesforce as sf_server
from pvt_dagster_tests.support.servers import smtp as smtp_server_module
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn
from pvt_dagster_tests.support.servers.smtp import SmtpServer
from pvt_dagster_tests.support.servers.tls import self_signed

TOKEN_ENV = "PVT_TEST_SF_TOKEN"


@pytest.fixture(scope="session", autouse=True)
def _nothing_sent_holds_pii() -> Iterator[None]:
    """After the whole suite: every email and Salesforce body sent is free of clear PII."""
    yield
    for mail in smtp_server_module.ALL_RECEIVED:
        body = mail.get_body(preferencelist=("plain",))
        text = f"{mail['Subject']}\n{body.get_content() if body else ''}"
        assert not has_pii(text), "an email holds an SSN or a phone number in clear"
    for raw in sf_server.ALL_BODIES:
        assert not has_pii(raw), "a Salesforce request holds an SSN or a phone number in clear"


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate (and key) for 127.0.0.1."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP relay on 127.0.0.1 (not started: call ``start()``)."""
    server = SmtpServer()
    yield server
    server.stop()
    assert not any(has_pii(text) for text in server.texts())


@pytest.fixture
def salesforce(tls_cert: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
               ) -> Iterator[SalesforceStandIn]:
    """A started Salesforce stand-in; its token is in $PVT_TEST_SF_TOKEN."""
    org = SalesforceStandIn(*tls_cert).start()
    monkeypatch.setenv(TOKEN_ENV, org.token)
    yield org
    org.stop()


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 10, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting 2026-11-23 10:00 UTC."""
    return Clock()


def notify(*, smtp: SmtpServer | None = None, org: SalesforceStandIn | None = None,
           routes: list[dict[str, Any]] | None = None, **extra: Any) -> NotifyConfig:
    """A NotifyConfig over the test servers."""
    data: dict[str, Any] = {"ui_base_url": "http://127.0.0.1:3000", "routes": routes or [],
                            **extra}
    if smtp is not None:
        data["email"] = {"host": "127.0.0.1", "port": smtp.port, "sender": "pvt@example.org",
                         "security": smtp.security, "timeout_seconds": 5,
                         **data.pop("email", {})}
    if org is not None:
        data["salesforce"] = {"instance_url": org.url, "session_id": {"env": TOKEN_ENV},
                              "ca_bundle": str(org.cert), "timeout_seconds": 5,
                              **data.pop("salesforce", {})}
    return NotifyConfig.model_validate(data)


def add_message(ledger: Ledger, name: str = "bad", *, severity: str = "failure",
                kind: str = "validated_failed", text: str | None = None,
                run_id: str = "0b7c3e52-6f1f-4d8e-9a51-2f5f0b0e6a11") -> MessageRecord:
    """Queue a message about file ``acme/members/20261123T100000Z-members_<name>.csv``."""
    key = f"acme/members/20261123T100000Z-members_{name}.csv"
    return ledger.record_message(
        dedupe_key=f"{key}:validated:{run_id}:{severity}", client="acme", feed="members",
        file_key=key, stage="validated", kind=kind, severity=severity,
        text=text or f"{key} failed at validated: 1 failure rule(s) found problems: "
                     "ssn__pattern (2 rows), samples ***-**-6789, ***-**-0000",
        details={"run_id": run_id})
