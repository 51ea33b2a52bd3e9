"""The keystore: a GnuPG home holding the secret keys feeds are encrypted to."""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import gnupg

from pvt_dagster.decrypt.agent import agent_in_use, stop_agent_of
from pvt_dagster.errors import KeystoreError
from pvt_dagster.fsutil import ensure_private_dir, write_private_text

log = logging.getLogger(__name__)

AGENT_CONF = "default-cache-ttl 0\nmax-cache-ttl 0\nallow-loopback-pinentry\n"
MAX_HOME_CHARS = 100  # gpg-agent's sockets live in the home: a Unix socket path is ~107 chars
_AT_EXIT: set[Path] = set()
_AT_EXIT_LOCK = threading.Lock()


def _stop_at_exit(gnupghome: Path) -> None:
    """Stop this home's agent when the process exits (once per home)."""
    with _AT_EXIT_LOCK:
        if gnupghome in _AT_EXIT:
            return
        _AT_EXIT.add(gnupghome)
    atexit.register(stop_agent_of, gnupghome)


@dataclass(frozen=True)
class KeyInfo:
    """One key in the keystore: fingerprint, user ids, expiry (UTC) and whether secret."""

    fingerprint: str
    uids: tuple[str, ...]
    expires: datetime | None
    secret: bool


class Keystore:
    """A GnuPG home (created 0700) with an agent that never caches passphrases.

    Keep the path short: gpg-agent puts its Unix sockets in the home when there is no
    ``/run/user/<uid>``, and a socket path over about 100 characters fails with
    "No agent running". gpg starts an agent that would outlive the process: it is stopped
    at process exit, and :meth:`stop_agent` (called by ``Intake.close``) stops it sooner,
    unless another gpg run (of any process) is using it (see ``agent``).
    """

    def __init__(self, gnupghome: Path) -> None:
        self.gnupghome = Path(gnupghome).absolute()
        if len(str(self.gnupghome)) > MAX_HOME_CHARS:
            log.warning("keystore path %s is %d characters long; gpg-agent sockets may not fit",
                        self.gnupghome, len(str(self.gnupghome)))
        try:
            ensure_private_dir(self.gnupghome, tighten=True)
            conf = self.gnupghome / "gpg-agent.conf"
            current = conf.read_text() if conf.exists() else None
            if current != AGENT_CONF:
                write_private_text(conf, AGENT_CONF)
        except OSError as exc:
            raise KeystoreError(
                f"cannot prepare keystore {self.gnupghome}: {exc.strerror}") from exc
        if current is not None and current != AGENT_CONF:
            stop_agent_of(self.gnupghome, wait=True)  # it would keep its old cache settings
        try:
            self.gpg = gnupg.GPG(gnupghome=str(self.gnupghome))
        except (OSError, ValueError) as exc:
            raise KeystoreError(f"cannot run gpg for keystore {self.gnupghome}: {exc}") from exc
        _stop_at_exit(self.gnupghome)

    @property
    def gpg_binary(self) -> str:
        """The gpg executable python-gnupg found (``gpg`` on the PATH by default)."""
        return str(self.gpg.gpgbinary)

    def import_key_data(self, data: str | bytes) -> list[str]:
        """Import armored or binary key data; the fingerprints imported (or already present)."""
        with agent_in_use(self.gnupghome):
            result = self.gpg.import_keys(data)
        fingerprints = sorted({f for f in result.fingerprints if f})
        if not fingerprints:
            raise KeystoreError("no key could be imported from the data given")
        return fingerprints

    def import_key_file(self, path: Path) -> list[str]:
        """Import the keys in a file; their fingerprints."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise KeystoreError(f"cannot read key file {path}: {exc.strerror}") from exc
        try:
            return self.import_key_data(data)
        except KeystoreError as exc:
            raise KeystoreError(f"no key could be imported from {path}") from exc

    def list_keys(self, secret: bool = False) -> list[KeyInfo]:
        """The public keys (or the secret keys) in the keystore."""
        return [info for info, _ in self._keys(secret)]

    def keys_with_subkeys(self, secret: bool = False) -> list[tuple[KeyInfo, list[str]]]:
        """Each key with the fingerprints of its subkeys."""
        return self._keys(secret)

    def _keys(self, secret: bool) -> list[tuple[KeyInfo, list[str]]]:
        """Each key with the fingerprints of its subkeys."""
        try:
            with agent_in_use(self.gnupghome):
                keys = self.gpg.list_keys(secret=secret)
        except (OSError, ValueError) as exc:
            raise KeystoreError(f"cannot list keys in {self.gnupghome}: {exc}") from exc
        return [
            (KeyInfo(fingerprint=k["fingerprint"], uids=tuple(k.get("uids") or ()),
                     expires=_expiry(k.get("expires")), secret=secret),
             [s[2] for s in k.get("subkeys", []) if len(s) > 2 and s[2]])
            for k in keys
        ]

    def find_secret_key(self, ident: str) -> KeyInfo | None:
        """The secret key named by email, user id, fingerprint or key id, or None."""
        for info, subkeys in self._keys(secret=True):
            if matches(info, ident, subkeys):
                return info
        return None

    def has_secret_key(self, ident: str) -> bool:
        """Whether a secret key named by email, user id or fingerprint is in the keystore."""
        return self.find_secret_key(ident) is not None

    def stop_agent(self) -> None:
        """Stop this home's gpg-agent (``gpgconf --homedir H --kill gpg-agent``) unless a gpg
        run of this or another process is using it."""
        stop_agent_of(self.gnupghome)


def _expiry(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except ValueError:
        return None


def matches(key: KeyInfo, ident: str, subkeys: list[str] | None = None) -> bool:
    """Whether ``ident`` (email, user id, fingerprint or long/short key id) names ``key``."""
    wanted = ident.strip()
    hexid = wanted.upper().removeprefix("0X").replace(" ", "")
    if len(hexid) >= 8 and all(c in "0123456789ABCDEF" for c in hexid):
        for fpr in [key.fingerprint, *(subkeys or [])]:
            if fpr.upper() == hexid or (len(hexid) in (8, 16) and fpr.upper().endswith(hexid)):
                return True
    low = wanted.lower().strip("<>")
    for uid in key.uids:
        if uid == wanted or uid.lower() == low:
            return True
        if "<" in uid and uid.rsplit("<", 1)[1].rstrip(">").lower() == low:
            return True
    return False


def gpg_text(text: str) -> str:
    """``text`` prepared for python-gnupg, which encodes with latin-1: gpg receives UTF-8."""
    return text.encode("utf-8").decode("latin-1")
