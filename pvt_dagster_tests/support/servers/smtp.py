"""A real SMTP server on 127.0.0.1 for tests: the product's demo mail catcher
(``pvt_dagster.demo.mail.MailCatcher``, aiosmtpd in a thread) on a free port, plus a record of
every email any test server received (for the PII scan at the end of the session)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage

from pvt_dagster.demo.mail import MailCatcher
from pvt_dagster_tests.support.servers.common import free_port

#: Every email any test server received in this session (for the PII scan at the end).
ALL_RECEIVED: list[EmailMessage] = []


@dataclass
class SmtpServer(MailCatcher):
    """A MailCatcher on a free port; ``start`` and ``stop`` as often as needed."""

    port: int = field(default_factory=free_port)

    def keep(self, message: EmailMessage, raw: bytes) -> None:
        """Keep the message, and in the session-wide record."""
        super().keep(message, raw)
        ALL_RECEIVED.append(message)
