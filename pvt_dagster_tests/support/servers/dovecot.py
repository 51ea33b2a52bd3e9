"""Dovecot's IMAP server on 127.0.0.1 for imap tests: one account, plain IMAP on one port
(``security: none``) and IMAPS with a throwaway self-signed certificate on another.

Pitfalls handled (shared/reference/real-servers.md section 5): apt's install does not start it,
so it runs in the foreground (``dovecot -F``) under Popen and is stopped by its pid and its
children's; mail belongs to ``nobody`` (dovecot refuses uid 0), so the server folder is a short
0755 directory under /tmp rather than pytest's 0700 tmp_path.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pvt_dagster_tests.support.servers.common import free_port, kill_tree, wait_for_port
from pvt_dagster_tests.support.servers.tls import self_signed

DOVECOT = "/usr/sbin/dovecot"
USER = "reader"
PASSWORD = "reader-test-pw"  # a mailbox reachable only on 127.0.0.1

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = pvt-test-imap-{port}
log_path = {base}/dovecot.log
ssl = yes
ssl_cert = <{base}/tls/cert.pem
ssl_key = <{base}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
"""


def missing_reason() -> str | None:
    """Why dovecot cannot run here, or None."""
    if not Path(DOVECOT).exists():
        return "dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the dovecot fixture needs root (mail owned by nobody)"
    return None


@dataclass
class Dovecot:
    """A running dovecot: its ports, its CA certificate and its folder."""

    base: Path
    port: int
    tls_port: int
    proc: subprocess.Popen[bytes]

    @property
    def cert(self) -> Path:
        """The server's self-signed certificate (a ca_bundle for clients)."""
        return self.base / "tls" / "cert.pem"

    def login(self) -> imaplib.IMAP4:
        """A plain IMAP connection logged in as the test account."""
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def new_folder(self) -> str:
        """A fresh, empty folder of the test account."""
        folder = f"T{uuid.uuid4().hex[:10]}"
        conn = self.login()
        try:
            assert conn.create(folder)[0] == "OK"
        finally:
            conn.logout()
        return folder

    def deliver(self, folder: str, message: bytes) -> None:
        """Append a message (RFC 822 bytes) to ``folder``."""
        conn = self.login()
        try:
            status, data = conn.append(folder, None, None, message)
            assert status == "OK", data
        finally:
            conn.logout()

    def uids(self, folder: str, *criteria: str) -> list[str]:
        """UIDs in ``folder`` matching ``criteria`` (ALL by default)."""
        conn = self.login()
        try:
            conn.select(folder, readonly=True)
            _, data = conn.uid("SEARCH", *(criteria or ("ALL",)))
            return (data[0] or b"").decode().split()
        finally:
            conn.logout()

    def source_yaml(self, folder: str, *, after_transfer: str, password_env: str,
                    extra: str = "", signers: list[str] | None = None) -> str:
        """The YAML of a plain (security: none) imap source on this server, 8-space keys;
        attachments must be signed by one of ``signers``, or (None) need not be signed."""
        signed = (f"        trusted_signers: [{', '.join(signers)}]\n" if signers is not None
                  else "        require_signature: false\n")
        return (f"        kind: imap\n        host: 127.0.0.1\n        port: {self.port}\n"
                f"        security: none\n        username: {USER}\n"
                f"        password: {{env: {password_env}}}\n        folder: {folder}\n"
                f"        after_transfer: {after_transfer}\n{signed}{extra}")


def start_dovecot() -> Dovecot:
    """Start dovecot in the foreground on two free ports; stop it with ``stop_dovecot``."""
    base = Path(tempfile.mkdtemp(prefix="dv", dir="/tmp"))
    os.chmod(base, 0o755)
    for sub in ("run", "state", "mail"):
        (base / sub).mkdir()
    shutil.chown(base / "mail", "nobody", "nogroup")
    self_signed(base / "tls")
    (base / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port, tls_port = free_port(), free_port()
    (base / "dovecot.conf").write_text(CONFIG.format(base=base, port=port, tls_port=tls_port))
    log = base / "dovecot.log"
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(base / "dovecot.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc, log=log)
        wait_for_port(tls_port, proc, log=log)
    except BaseException:
        stop_dovecot(Dovecot(base, port, tls_port, proc))
        raise
    return Dovecot(base, port, tls_port, proc)


def stop_dovecot(server: Dovecot) -> None:
    """Stop dovecot by its pid (and its children's) and remove its folder."""
    kill_tree(server.proc)
    shutil.rmtree(server.base, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One dovecot for the session (tests use their own folders), stopped by its pid."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = start_dovecot()
    try:
        yield server
    finally:
        stop_dovecot(server)
