"""Email over SMTP (smtplib): a plain relay, STARTTLS or SSL, optional login; certificates are
always verified (optionally against a private CA bundle)."""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate

from pvt_dagster.comms.render import EmailText
from pvt_dagster.config import EmailConfig
from pvt_dagster.errors import ChannelRejectedError, ChannelUnavailableError, ConfigError


def new_message_id(sender: str) -> str:
    """A fresh, globally unique Message-ID in the sender's domain."""
    domain = sender.rpartition("@")[2] or "pvt.localhost"
    return f"<pvt.{uuid.uuid4().hex}@{domain}>"


def build_email(config: EmailConfig, *, to: str, text: EmailText, message_id: str
                ) -> EmailMessage:
    """The email as it goes out (plain text, UTF-8)."""
    mail = EmailMessage()
    mail["From"] = config.sender
    mail["To"] = to
    mail["Subject"] = text.subject
    mail["Message-ID"] = message_id
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text.body)
    return mail


class SmtpSender:
    """Sends one email per call through the configured relay."""

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_bundle) if self.config.ca_bundle else None
        return ssl.create_default_context(cafile=cafile)

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "ssl":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_seconds,
                                    context=self._tls())
        smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout_seconds)
        if c.security == "starttls":
            smtp.starttls(context=self._tls())
        return smtp

    def send(self, *, to: str, text: EmailText, message_id: str) -> str:
        """Send one email; returns its Message-ID. ChannelUnavailableError when the relay is
        down or refuses for now, ChannelRejectedError when it refuses the recipient for good."""
        c = self.config
        where = f"smtp {c.host}:{c.port}"
        mail = build_email(c, to=to, text=text, message_id=message_id)
        try:
            password = c.password.resolve() if c.password else None
            with self._connect() as smtp:
                if c.username:
                    smtp.login(c.username, password or "")
                smtp.send_message(mail)
        except ConfigError as exc:
            raise ChannelUnavailableError(f"{where}: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = ChannelRejectedError if codes and min(codes) >= 500 else \
                ChannelUnavailableError
            raise error(f"{where}: recipient {to} refused ({', '.join(map(str, codes))})") \
                from exc
        except smtplib.SMTPDataError as exc:
            error = ChannelRejectedError if exc.smtp_code >= 500 else ChannelUnavailableError
            raise error(f"{where}: message refused ({exc.smtp_code})") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelUnavailableError(f"{where}: login as {c.username} refused "
                                          f"({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            raise ChannelUnavailableError(f"{where}: server said {exc.smtp_code}") from exc
        except ssl.SSLError as exc:
            raise ChannelUnavailableError(f"{where}: TLS failed ({exc.reason or exc})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ChannelUnavailableError(f"{where}: {reason}") from exc
        return message_id
