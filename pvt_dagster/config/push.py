"""Push intake in ``pvt.yaml``: the upload server (top-level ``push:``) and each client's users
(``clients.<c>.push.users``). The ``kind: push`` source itself is in ``config.sources``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from pvt_dagster.config.base import Model, SecretRef

#: Hosts that plain HTTP (no ``tls:``) may listen on: nothing leaves the machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1 or localhost)."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _username(name: str) -> str:
    if not USERNAME.match(name):
        raise ValueError(f"{name!r} is not a valid user name: letters, digits, '.', '_', '@' "
                         "and '-', at most 100 characters, starting with a letter or digit")
    return name


Username = Annotated[str, AfterValidator(_username)]


class PushTls(Model):
    """The certificate chain and private key ``pvt serve`` presents (PEM files)."""

    cert: Path
    key: Path


class LoginLimits(Model):
    """How many failed logins within ``window_seconds`` lock out a user, and a remote address;
    a locked-out caller gets 429 with Retry-After until the window has passed."""

    user_failures: int = Field(default=5, ge=1)
    address_failures: int = Field(default=20, ge=1)
    window_seconds: float = Field(default=300, gt=0)


class PushServerConfig(Model):
    """``pvt serve``: where the upload API listens; TLS unless it listens on loopback only."""

    host: str = "127.0.0.1"
    port: int = Field(default=8443, ge=1, le=65535)
    tls: PushTls | None = None
    login_limits: LoginLimits = Field(default_factory=LoginLimits)

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> PushServerConfig:
        if self.tls is None and not is_loopback(self.host):
            raise ValueError(f"push on {self.host} needs tls: {{cert, key}}; plain HTTP is "
                             "only for a loopback host (127.0.0.1, ::1, localhost)")
        return self


class PushUser(Model):
    """One user allowed to upload for a client: a password hash (argon2 or bcrypt, as
    ``pvt push hash`` prints it) or a bearer token, each read from a file or the environment."""

    password_hash: SecretRef | None = None
    token: SecretRef | None = None

    @model_validator(mode="after")
    def _one_way_in(self) -> PushUser:
        if (self.password_hash is None) == (self.token is None):
            raise ValueError("a push user has password_hash: {file|env} or token: {env|file}, "
                             "exactly one of them")
        return self


class ClientPush(Model):
    """A client's push users: they may upload to the client's ``kind: push`` sources only."""

    users: dict[Username, PushUser] = Field(default_factory=dict)
