"""SSH host keys and client keys for the sftp source: ``known_hosts`` entries, OpenSSH-style
fingerprints, refusing unknown hosts, and trusting a host key as an explicit act."""

from __future__ import annotations

import base64
import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pvt_dagster.errors import ServerIdentityError, SourceAuthError, SourceError
from pvt_dagster.fsutil import ensure_private_dir, touch_private

if TYPE_CHECKING:
    import paramiko

TRUST_HINT = "pvt sources trust CLIENT/{name}"


def host_entry(host: str, port: int) -> str:
    """The known_hosts name of a server: ``host``, or ``[host]:port`` off port 22."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """The OpenSSH SHA256 fingerprint of a public key (``SHA256:...``)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load_private_key(text: str, passphrase: str | None, *, where: str) -> paramiko.PKey:
    """A private key from its OpenSSH or PEM text; SourceAuthError if it cannot be read."""
    import paramiko

    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException as exc:
            raise SourceAuthError(f"private key from {where} is encrypted: set "
                                  "private_key_passphrase") from exc
        except (paramiko.SSHException, ValueError, TypeError):
            continue
    raise SourceAuthError(f"private key from {where} is not a readable Ed25519, ECDSA or RSA "
                          "key (or its passphrase is wrong)")


def _refusal(name: str, entry: str, known_hosts: Path, key: paramiko.PKey) -> str:
    return (f"source {name}: {entry} offers host key {key.get_name()} {fingerprint(key)}, "
            f"which {known_hosts} does not trust; check the fingerprint with the server's "
            f"owner, then run `{TRUST_HINT.format(name=name)}` to record it")


def changed_key_error(name: str, entry: str, known_hosts: Path, offered: paramiko.PKey,
                      expected: paramiko.PKey) -> ServerIdentityError:
    """The error for a host key that differs from the one recorded in known_hosts."""
    return ServerIdentityError(
        f"source {name}: the host key of {entry} CHANGED: it offers {offered.get_name()} "
        f"{fingerprint(offered)} but {known_hosts} has {fingerprint(expected)}; refused. If "
        f"the server's owner confirms the change, run `{TRUST_HINT.format(name=name)} "
        "--replace`")


class RefuseUnknownHost:
    """A missing-host-key policy that refuses with a ServerIdentityError naming the fingerprint
    (paramiko's RejectPolicy, with a message that says how to trust the key)."""

    def __init__(self, name: str, known_hosts: Path) -> None:
        self.name, self.known_hosts = name, known_hosts

    def missing_host_key(self, client: Any, hostname: str, key: paramiko.PKey) -> None:
        """Refuse the connection: the host is not in known_hosts."""
        client.close()
        raise ServerIdentityError(_refusal(self.name, hostname, self.known_hosts, key))


def fetch_host_key(host: str, port: int, timeout: float) -> paramiko.PKey:
    """The host key a server offers (key exchange only, no authentication)."""
    import socket

    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise SourceError(f"cannot connect to {host_entry(host, port)}: "
                          f"{exc.strerror or exc}") from exc
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise SourceError(f"no SSH key exchange with {host_entry(host, port)}: "
                          f"{' '.join(str(exc).split())[:200]}") from exc
    finally:
        transport.close()
    return key


@dataclass(frozen=True)
class TrustOutcome:
    """What ``trust_host_key`` did."""

    entry: str
    key_type: str
    fingerprint: str
    status: Literal["added", "replaced", "already trusted"]
    previous: str | None = None


#: Asked before a new key is written: (host entry, key type, fingerprint) -> trust it?
Confirm = Callable[[str, str, str], bool]


def trust_host_key(host: str, port: int, known_hosts: Path, *, timeout: float = 30,
                   replace: bool = False, name: str = "?", expect: str | None = None,
                   confirm: Confirm | None = None) -> TrustOutcome:
    """Fetch the server's host key and record it in ``known_hosts`` (mode 0600).

    A different key already recorded for the host is kept (ServerIdentityError) unless
    ``replace`` is set; the same key is left alone; ``expect`` (a fingerprint) must match;
    else ``confirm`` (when given) decides, and a key it declines is not recorded
    (ServerIdentityError).
    """
    import paramiko

    key = fetch_host_key(host, port, timeout)
    entry = host_entry(host, port)
    if expect is not None and expect != fingerprint(key):
        raise ServerIdentityError(f"source {name}: {entry} offers {fingerprint(key)}, not the "
                                  f"expected {expect}; nothing recorded")
    hostkeys = paramiko.HostKeys()
    if known_hosts.is_file():
        try:
            hostkeys.load(str(known_hosts))
        except (OSError, paramiko.SSHException) as exc:
            raise SourceError(f"cannot read known_hosts {known_hosts}: {exc}") from exc
    recorded = hostkeys.lookup(entry) or {}
    same = recorded.get(key.get_name())
    if same is not None and same.asbytes() == key.asbytes():
        return TrustOutcome(entry, key.get_name(), fingerprint(key), "already trusted")
    previous = next(iter(recorded.values()), None)
    if previous is not None and not replace:
        raise changed_key_error(name, entry, known_hosts, key, previous)
    if expect is None and confirm is not None and not confirm(entry, key.get_name(),
                                                              fingerprint(key)):
        raise ServerIdentityError(f"source {name}: the key of {entry} was not confirmed; "
                                  "nothing recorded")
    if previous is not None:
        _drop_host(hostkeys, entry)
    hostkeys.add(entry, key.get_name(), key)
    try:
        ensure_private_dir(known_hosts.parent)
        tmp = known_hosts.with_name(f".{known_hosts.name}.tmp")
        touch_private(tmp)  # paramiko's save keeps the mode of the file it truncates
        hostkeys.save(str(tmp))
        os.replace(tmp, known_hosts)
    except OSError as exc:
        raise SourceError(f"cannot write known_hosts {known_hosts}: {exc.strerror}") from exc
    return TrustOutcome(entry, key.get_name(), fingerprint(key),
                        "replaced" if previous is not None else "added",
                        fingerprint(previous) if previous is not None else None)


def _drop_host(hostkeys: paramiko.HostKeys, entry: str) -> None:
    """Forget every key recorded for ``entry`` (hashed entries included)."""
    while True:
        try:
            del hostkeys[entry]
        except KeyError:
            return
