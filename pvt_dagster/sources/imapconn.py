"""An IMAP connection for the imap source: TLS with certificate verification (or plain on
127.0.0.1 for tests), login from a SecretRef, commands with errors translated, EXAMINE/SELECT."""

from __future__ import annotations

import imaplib
import ssl
from contextlib import suppress
from typing import Any

from pvt_dagster.config import ImapSource
from pvt_dagster.errors import (
    PvtError,
    ServerIdentityError,
    SourceAuthError,
    SourceError,
)
from pvt_dagster.sources.base import BaseSource


def quote(text: str) -> str:
    """``text`` as an IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapConnection(BaseSource[ImapSource]):
    """One logged-in IMAP connection to a source's folder, opened on first use."""

    def __init__(self, name: str, config: ImapSource) -> None:
        super().__init__(name, config)
        self._conn: imaplib.IMAP4 | None = None
        self._caps: set[str] = set()
        self._selected: bool | None = None  # None: nothing selected; else read-only or not
        self._uidvalidity = ""

    # -- connection and errors --------------------------------------------------------------

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """imaplib, TLS and socket errors as SourceError (ServerIdentityError for a certificate
        that does not verify); the connection is dropped."""
        if not isinstance(exc, imaplib.IMAP4.error | OSError):
            return None
        self._drop()
        where = f"{self.label}: cannot {action} on {self.config.host}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ServerIdentityError(f"{where}: the TLS certificate does not verify "
                                       "(set ca_bundle for a private CA)")
        if isinstance(exc, imaplib.IMAP4.abort | OSError):
            return SourceError(f"{where}: connection lost ({type(exc).__name__})")
        text = str(exc).strip("b'\" ")[:200]
        return SourceError(f"{where}: {text}")

    def _command(self, action: str, name: str, *args: str) -> list[Any]:
        """An IMAP command (UID when ``name`` is a UID command); its data, or our error."""
        conn = self._connect()
        with self.translating(action):
            if name.startswith("UID "):
                status, data = conn.uid(name[4:], *args)
            else:
                status, data = getattr(conn, name.lower())(*args)
        if status != "OK":
            raise SourceError(f"{self.label}: cannot {action}: "
                              f"{b' '.join(d for d in data if isinstance(d, bytes))[:200]!r}")
        return list(data)

    def _connect(self) -> imaplib.IMAP4:
        if self._conn is not None:
            return self._conn
        c = self.config
        context = ssl.create_default_context(cafile=str(c.ca_bundle) if c.ca_bundle else None)
        with self.translating("connect"):
            if c.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(c.host, c.port or 993,
                                                         ssl_context=context,
                                                         timeout=c.timeout_seconds)
            else:
                conn = imaplib.IMAP4(c.host, c.port or 143, timeout=c.timeout_seconds)
                if c.security == "starttls":
                    conn.starttls(ssl_context=context)
        with self.translating("log in"):
            try:
                conn.login(c.username, c.password.resolve())
            except imaplib.IMAP4.error as exc:
                _close_quietly(conn)
                raise SourceAuthError(f"{self.label}: {c.host} refused the login of "
                                      f"{c.username} ({str(exc).strip('b' + chr(39))[:120]})"
                                      ) from exc
            except BaseException:
                _close_quietly(conn)
                raise
        self._conn = conn
        self._caps = {cap.upper() for cap in self._capabilities(conn)}
        return conn

    def _capabilities(self, conn: imaplib.IMAP4) -> list[str]:
        try:
            _, data = conn.capability()
        except (imaplib.IMAP4.error, OSError):
            return list(conn.capabilities)
        return b" ".join(d for d in data if isinstance(d, bytes)).decode().split()

    def _select(self, readonly: bool) -> None:
        """EXAMINE (read-only) or SELECT the folder and note its UIDVALIDITY."""
        if self._selected == readonly:
            return
        conn = self._connect()
        with self.translating(f"open folder {self.config.folder!r}"):
            status, data = conn.select(quote(self.config.folder), readonly=readonly)
        if status != "OK":
            raise SourceError(f"{self.label}: folder {self.config.folder!r} cannot be "
                              f"opened: {data[0]!r}"[:300])
        _, validity = conn.response("UIDVALIDITY")
        self._uidvalidity = (validity[0] or b"").decode() if validity else ""
        self._selected = readonly

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
        self._conn, self._selected = None, None

    def close(self) -> None:
        """Log out."""
        if self._conn is not None:
            with suppress(imaplib.IMAP4.error, OSError):
                self._conn.logout()
            self._conn, self._selected = None, None


def _close_quietly(conn: imaplib.IMAP4) -> None:
    with suppress(imaplib.IMAP4.error, OSError):
        conn.shutdown()
