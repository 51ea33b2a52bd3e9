"""A real SMTP server on 127.0.0.1 (aiosmtpd's Controller, in a thread): plain, STARTTLS
(optionally requiring a login) or implicit TLS. Every message received is kept, parsed, so
tests can count and read them; the server can be stopped and started again on its port."""

from __future__ import annotations

import email
import email.policy
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pvt_dagster_tests.support.servers.common import free_port

#: Every email any test server received in this session (for the PII scan at the end).
ALL_RECEIVED: list[EmailMessage] = []


class _Handler:
    """Keeps each message; refuses recipients listed in ``refuse``."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.server.lock:
            self.server.received.append(parsed)
            ALL_RECEIVED.append(parsed)
        return "250 Message accepted"


@dataclass
class SmtpServer:
    """One SMTP server on a fixed free port; ``start`` and ``stop`` as often as needed."""

    port: int = field(default_factory=free_port)
    security: str = "none"  # none | starttls | ssl
    cert: Path | None = None
    key: Path | None = None
    login: tuple[str, str] | None = None
    refuse: set[str] = field(default_factory=set)
    received: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def _tls(self) -> ssl.SSLContext:
        assert self.cert and self.key, "TLS needs a certificate"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and self.login is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.login)
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        """Listen on 127.0.0.1:port."""
        kwargs: dict[str, Any] = {}
        if self.security == "starttls":
            kwargs.update(tls_context=self._tls(), require_starttls=True)
        elif self.security == "ssl":
            kwargs.update(ssl_context=self._tls())
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=self.security != "none")
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (the messages received are kept)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def texts(self) -> list[str]:
        """Subject and body of every message received, one string each."""
        out = []
        for message in self.received:
            body = message.get_body(preferencelist=("plain",))
            content = body.get_content() if body is not None else ""
            out.append(f"{message['Subject']}\n{content}")
        return out
