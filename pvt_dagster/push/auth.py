"""Who is uploading: the ``Authorization`` header (Basic user:password, or Bearer token)
checked against ``clients.<c>.push.users``. Secrets are read when used and never kept,
logged or put in an error."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pvt_dagster.config import PvtConfig
from pvt_dagster.errors import ConfigError, PushRefusedError
from pvt_dagster.push.passwords import burn_verification, tokens_match, verify_password

log = logging.getLogger(__name__)

CHALLENGE = {"WWW-Authenticate": 'Basic realm="pvt", charset="UTF-8"'}


@dataclass(frozen=True)
class Principal:
    """An authenticated push user and the client it uploads for."""

    user: str
    client: str


@dataclass(frozen=True)
class Credentials:
    """What a request offered: a user name and password (Basic) or a bearer token."""

    scheme: str  # basic | bearer
    user: str | None
    secret: str = field(repr=False)


def parse_authorization(header: str | None) -> Credentials:
    """The credentials of an ``Authorization`` header; PushRefusedError 401 if none or bad."""
    if not header:
        raise PushRefusedError(401, "credentials required (Basic user:password or a Bearer "
                                    "token)", headers=CHALLENGE)
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials("bearer", None, value)
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        user, sep, password = decoded.partition(":")
        if sep and user:
            return Credentials("basic", user, password)
    raise PushRefusedError(401, "malformed Authorization header", headers=CHALLENGE)


class Authenticator:
    """Checks credentials against the push users of a config."""

    def __init__(self, config: PvtConfig) -> None:
        self.config = config

    def authenticate(self, credentials: Credentials) -> Principal | None:
        """The principal the credentials prove, or None. Blocking (a password check takes
        tens of milliseconds on purpose): run it off the event loop."""
        if credentials.scheme == "bearer":
            return self._by_token(credentials.secret)
        assert credentials.user is not None
        found = self.config.push_user(credentials.user)
        if found is None or found[1].password_hash is None:
            burn_verification(credentials.secret)  # same cost as a wrong password
            return None
        client, entry = found
        assert entry.password_hash is not None
        hashed = self._secret(credentials.user, "password hash", entry.password_hash.resolve)
        if hashed is not None and verify_password(hashed, credentials.secret):
            return Principal(credentials.user, client)
        return None

    def _by_token(self, offered: str) -> Principal | None:
        """The token user whose token matches; every token is compared (constant time each)."""
        match: Principal | None = None
        for client_name, client in self.config.clients.items():
            for user, entry in client.push.users.items():
                if entry.token is None:
                    continue
                expected = self._secret(user, "token", entry.token.resolve)
                if expected and tokens_match(expected, offered) and match is None:
                    match = Principal(user, client_name)
        return match

    @staticmethod
    def _secret(user: str, what: str, resolve: Callable[[], str]) -> str | None:
        """A user's secret, or None (logged, without any value) when it cannot be read."""
        try:
            value = resolve()
        except ConfigError as exc:
            log.error("push user %s: %s cannot be read (%s); the user cannot log in",
                      user, what, exc)
            return None
        return value.strip() or None
