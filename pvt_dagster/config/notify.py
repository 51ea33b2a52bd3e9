"""Where messages go: channels and routes (used by the communication manager)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
)

from pvt_dagster.config.base import Model, SecretRef, Severity


class EmailConfig(Model):
    """The SMTP relay messages go out through."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "pvt@localhost"
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretRef | None = None


class SalesforceConfig(Model):
    """The Salesforce org Cases are opened in."""

    instance_url: str
    session_id: SecretRef | None = None
    token_url: str | None = None
    client_id: SecretRef | None = None
    client_secret: SecretRef | None = None
    object: str = "Case"
    ca_bundle: Path | None = None


class RouteMatch(Model):
    """What a route matches on; unset fields match anything."""

    severity: Severity | None = None
    client: str | None = None
    feed: str | None = None
    stage: str | None = None
    kind: str | None = None


class Route(Model):
    """Send messages that match to these channels."""

    match: RouteMatch = Field(default_factory=RouteMatch)
    send: list[str]
    # ``continue`` is a Python keyword, hence the alias.
    continue_: bool = Field(default=False, alias="continue")


class NotifyConfig(Model):
    """Where messages go: the UI link base, channels and routes."""

    ui_base_url: str = "http://127.0.0.1:3000"
    email: EmailConfig | None = None
    salesforce: SalesforceConfig | None = None
    routes: list[Route] = Field(default_factory=list)
    digest_minutes: int = Field(default=60, ge=1)
