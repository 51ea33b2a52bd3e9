"""A local SMTP catcher on 127.0.0.1 (aiosmtpd's Controller, in a thread): plain, STARTTLS
(optionally requiring a login) or implicit TLS. Every message received is kept, parsed, and,
with ``folder`` set, written there as one ``.eml`` file per message. The demo's mail server, and
the test suite's (``pvt_dagster_tests.support.servers.smtp``)."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from pvt_dagster.errors import DemoError


def ensure_port_free(port: int, what: str) -> None:
    """Raise DemoError naming ``what`` (e.g. an env var to change) if 127.0.0.1:port is taken."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise DemoError(f"port 127.0.0.1:{port} ({what}) is taken: stop what listens "
                            f"there or choose another port") from exc


class _Handler:
    """Keeps each message; refuses recipients listed in ``refuse``."""

    def __init__(self, server: MailCatcher) -> None:
        self.server = server

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        """Accept the recipient unless it is listed in ``refuse``."""
        if address in self.server.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message (and write it to the folder)."""
        raw = envelope.content if isinstance(envelope.content, bytes) else \
            str(envelope.content).encode()
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.keep(parsed, raw)
        return "250 Message accepted"


@dataclass
class MailCatcher:
    """One SMTP server on a fixed port; ``start`` and ``stop`` as often as needed."""

    port: int
    security: str = "none"  # none | starttls | ssl
    cert: Path | None = None
    key: Path | None = None
    login: tuple[str, str] | None = None
    refuse: set[str] = field(default_factory=set)
    folder: Path | None = None  # one .eml file per message, when set
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

    def keep(self, message: EmailMessage, raw: bytes) -> None:
        """Record one received message (and write ``<n>-<time>.eml`` into ``folder``)."""
        with self.lock:
            self.received.append(message)
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                name = f"{time.strftime('%Y%m%dT%H%M%S')}-{len(self.received):04d}.eml"
                partial = self.folder / f".{name}.part"
                partial.write_bytes(raw)
                os.replace(partial, self.folder / name)

    def start(self) -> MailCatcher:
        """Listen on 127.0.0.1:port (DemoError if the port is taken)."""
        ensure_port_free(self.port, "SMTP")
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
        with self.lock:
            messages = list(self.received)
        for message in messages:
            body = message.get_body(preferencelist=("plain",))
            content = body.get_content() if body is not None else ""
            out.append(f"{message['Subject']}\n{content}")
        return out
