"""OpenSSH's sshd on 127.0.0.1 for sftp tests and benchmarks: a chrooted test account
(key and password), its own host key and a known_hosts that trusts it.

Pitfalls handled (shared/reference/real-servers.md section 1): /run/sshd must exist, the
account is unlocked (a password is set), StrictModes is off, the chroot is root-owned under
/srv (never /tmp), sshd runs with -D under Popen and is stopped by its pid and its children's.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster_tests.support.servers.common import free_port, kill_tree, wait_for_port

SSHD = "/usr/sbin/sshd"
USER = "pvtsftp"
PASSWORD = "pvt-sftp-test-pw"  # a throwaway account reachable only on 127.0.0.1
REMOTE_ROOT = "/upload"

CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {base}/host_ed25519
PidFile {base}/sshd.pid
AuthorizedKeysFile {srv}/authkeys/%u
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin no
UsePAM no
StrictModes no
MaxStartups 50
LogLevel INFO
Subsystem sftp internal-sftp -l INFO
Match User {user}
    ChrootDirectory {chroot}
    ForceCommand internal-sftp -l INFO
    AllowTcpForwarding no
"""


def missing_reason() -> str | None:
    """Why an sshd cannot run here, or None."""
    if not Path(SSHD).exists() or shutil.which("ssh-keygen") is None:
        return "OpenSSH's sshd is not installed (apt-get install openssh-server)"
    if os.geteuid() != 0:
        return "the sshd fixture needs root (a chroot and a test account)"
    return None


def keygen(path: Path) -> None:
    """A new ed25519 key pair at ``path`` and ``path.pub`` (no passphrase)."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pvt-test",
                    "-f", str(path)], check=True)


def ensure_account() -> pwd.struct_passwd:
    """The test account (created once, unlocked with a known password)."""
    try:
        account = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-d", REMOTE_ROOT, "-s", "/usr/sbin/nologin", USER],
                       check=True)
        account = pwd.getpwnam(USER)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}".encode(), check=True)
    return account


class SshServer:
    """One sshd on a free port with a chroot whose ``upload`` folder the account owns."""

    def __init__(self, workdir: Path) -> None:
        self.account = ensure_account()
        self.base = workdir / "sshd"
        self.base.mkdir(parents=True)
        self.host_key = self.base / "host_ed25519"
        self.client_key = self.base / "client_ed25519"
        keygen(self.host_key)
        keygen(self.client_key)
        Path("/srv").mkdir(exist_ok=True)
        # Under /srv: the account must read its authorized keys, and a chroot must be
        # root-owned all the way up (pytest's tmp_path is neither).
        self.srv = Path(tempfile.mkdtemp(prefix="pvt-sftp-", dir="/srv"))
        os.chmod(self.srv, 0o755)
        (self.srv / "authkeys").mkdir(mode=0o755)
        shutil.copy(f"{self.client_key}.pub", self.srv / "authkeys" / USER)
        os.chmod(self.srv / "authkeys" / USER, 0o644)
        self.chroot = self.srv / "root"
        self.chroot.mkdir(mode=0o755)
        self.upload = self.chroot / REMOTE_ROOT.strip("/")
        self.upload.mkdir()
        os.chown(self.upload, self.account.pw_uid, self.account.pw_gid)
        self.port = free_port()
        self.config = self.base / "sshd_config"
        self.config.write_text(CONFIG.format(port=self.port, base=self.base, user=USER,
                                             chroot=self.chroot, srv=self.srv))
        self.known_hosts = self.base / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {self.public_host_key()}\n")
        self.log = self.base / "sshd.log"
        self.proc: subprocess.Popen[bytes] | None = None
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def public_host_key(self) -> str:
        """``type base64`` of the server's host key."""
        return " ".join(Path(f"{self.host_key}.pub").read_text().split()[:2])

    def start(self) -> None:
        """Start sshd in the foreground (its pid is ours to stop) and wait for its port."""
        subprocess.run([SSHD, "-t", "-f", str(self.config)], check=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)],
                                         stdout=log, stderr=log)
        wait_for_port(self.port, self.proc, log=self.log)

    def stop(self) -> None:
        """Stop sshd and its session processes by pid."""
        if self.proc is not None:
            kill_tree(self.proc)
            self.proc = None

    def kill(self) -> None:
        """Kill sshd and every session at once (SIGKILL), as a crash would."""
        if self.proc is not None:
            kill_tree(self.proc, signal.SIGKILL)
            self.proc = None

    def close(self) -> None:
        """Stop the server and remove its chroot."""
        self.stop()
        shutil.rmtree(self.srv, ignore_errors=True)

    def put(self, name: str, data: bytes, *, mtime: float | None = None) -> Path:
        """Write a file into the upload folder as the account's own."""
        path = self.upload / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.own(path)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def own(self, path: Path) -> None:
        """Give ``path`` (and the folders up to the upload folder) to the test account."""
        while path != self.chroot:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)
            path = path.parent

    def log_text(self) -> str:
        """What sshd and internal-sftp logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def source_yaml(self, *, auth: str = "key", path: str = REMOTE_ROOT,
                    after_transfer: str = "delete", extra: str = "", indent: int = 8) -> str:
        """The YAML lines of an sftp source on this server (key or password auth)."""
        lines = ["kind: sftp", "host: 127.0.0.1", f"port: {self.port}", f"username: {USER}",
                 f"known_hosts: {self.known_hosts}", f"path: {path}",
                 f"after_transfer: {after_transfer}", "timeout_seconds: 10"]
        if auth == "key":
            lines.append(f"private_key: {{file: {self.client_key}}}")
        else:
            lines.append("password: {env: PVT_TEST_SFTP_PASSWORD}")
        lines += [line for line in extra.splitlines() if line.strip()]
        pad = " " * indent
        return "\n".join(pad + line for line in lines)


@pytest.fixture
def sshd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshServer]:
    """A running sshd (skipped with the reason when OpenSSH is absent)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("PVT_TEST_SFTP_PASSWORD", PASSWORD)
    server = SshServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.close()
