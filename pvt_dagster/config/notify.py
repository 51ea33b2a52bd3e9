"""Where messages go: channels and routes (used by the communication manager)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from pvt_dagster.config.base import Model, SecretRef
from pvt_dagster.config.push import is_loopback
from pvt_dagster.domain import MessageStage, Severity

#: Channel names a route may send to; ``email:`` and ``digest:`` take an address.
CHANNEL_KINDS = ("log", "email", "digest", "salesforce")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$")


def is_address(text: str) -> bool:
    """Whether ``text`` looks like one plain email address (no display name)."""
    return bool(_ADDRESS.match(text)) and len(text) <= 254


def channel_problem(text: str) -> str | None:
    """Why ``text`` is not a usable channel name, or None when it is."""
    kind, sep, address = text.partition(":")
    if kind not in CHANNEL_KINDS:
        return (f"unknown channel '{text}' (channels: log, email:ADDRESS, digest:ADDRESS, "
                "salesforce)")
    if kind in ("email", "digest"):
        if not sep or not address:
            return f"channel '{text}' needs an address: {kind}:someone@example.org"
        if not is_address(address):
            return f"'{address}' in channel '{text}' is not an email address"
    elif sep:
        return f"channel '{kind}' takes no address"
    return None


class EmailConfig(Model):
    """The SMTP relay messages go out through (certificates are always verified)."""

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "pvt@localhost"
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretRef | None = None
    ca_bundle: Path | None = None  # a PEM file for a private CA (starttls and ssl)
    timeout_seconds: float = Field(default=30, gt=0)
    allow_insecure: bool = False  # security: none to a relay that is not loopback

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> EmailConfig:
        if self.security == "none" and not self.allow_insecure and not is_loopback(self.host):
            raise ValueError(
                f"security: none sends messages (and any password) in clear, so it is only "
                f"for a loopback relay (127.0.0.1, ::1, localhost), not {self.host!r}: use "
                "starttls or ssl, or set allow_insecure: true to accept the risk")
        return self


class SalesforceConfig(Model):
    """The Salesforce org Cases are opened in: a session token, or OAuth client credentials."""

    instance_url: str
    session_id: SecretRef | None = None
    token_url: str | None = None
    client_id: SecretRef | None = None
    client_secret: SecretRef | None = None
    object: str = "Case"
    external_id_field: str = "PVT_Key__c"
    open_status: str = "New"
    closed_status: str | None = "Closed"  # null: comment on the Case instead of closing it
    fields: dict[str, str] = Field(default_factory=dict)  # extra fields on every Case
    api_version: str = "59.0"
    ca_bundle: Path | None = None
    timeout_seconds: float = Field(default=30, gt=0)


class RouteMatch(Model):
    """What a route matches on; unset fields match anything."""

    severity: Severity | None = None  # a failure route takes critical messages too
    client: str | None = None
    feed: str | None = None
    stage: MessageStage | None = None
    kind: str | None = None


class Route(Model):
    """Send messages that match to these channels."""

    match: RouteMatch = Field(default_factory=RouteMatch)
    send: list[str]
    # ``continue`` is a Python keyword, hence the alias.
    continue_: bool = Field(default=False, alias="continue")


class RetryConfig(Model):
    """Backoff between attempts on a channel that is down (doubling up to ``max_seconds``)."""

    initial_seconds: float = Field(default=30, gt=0)
    max_seconds: float = Field(default=3600, gt=0)
    claim_timeout_seconds: float = Field(default=600, gt=0)  # a send never marked is retried


class NotifyConfig(Model):
    """Where messages go: the UI link base, channels and routes."""

    ui_base_url: str = "http://127.0.0.1:3000"
    email: EmailConfig | None = None
    salesforce: SalesforceConfig | None = None
    routes: list[Route] = Field(default_factory=list)
    digest_minutes: int = Field(default=60, ge=1)
    dispatch_seconds: int = Field(default=30, ge=1)
    retry: RetryConfig = Field(default_factory=RetryConfig)
