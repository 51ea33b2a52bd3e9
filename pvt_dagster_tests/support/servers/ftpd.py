"""pyftpdlib FTP and FTPS servers on 127.0.0.1, each in its own process (so a test can kill it
mid-transfer) and stopped by its pid. ``python -m pvt_dagster_tests.support.servers.ftpd``
runs one; ``FtpServer`` and the ``ftpd``/``ftpsd`` fixtures drive it.

Options: ``--tls CERT KEY`` (TLS on control and data required), ``--no-mlsd`` (a server
without MLST/MLSD, like vsftpd, so clients fall back to NLST + SIZE + MDTM)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster_tests.support.servers.common import free_port, kill_tree, wait_for_port

USER = "pvtftp"
PASSWORD = "pvt-ftp-test-pw"


def missing_reason(tls: bool = False) -> str | None:
    """Why the pyftpdlib server cannot run here, or None."""
    try:
        import pyftpdlib  # noqa: F401
        if tls:
            import OpenSSL  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[dev]')"
    if tls and shutil.which("openssl") is None:
        return "the openssl command is not installed (for the test certificate)"
    return None


def make_certificate(folder: Path, cn: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key (2 days)."""
    cert, key = folder / f"{cn}-cert.pem", folder / f"{cn}-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={cn}",
                    "-addext", f"subjectAltName=IP:{cn},DNS:localhost"
                    if cn == "127.0.0.1" else f"subjectAltName=DNS:{cn}"],
                   check=True, capture_output=True)
    return cert, key


class FtpServer:
    """One pyftpdlib server process serving ``root`` to one user."""

    def __init__(self, workdir: Path, *, tls: bool = False, mlsd: bool = True) -> None:
        self.workdir = workdir / ("ftps" if tls else "ftp")
        self.root = self.workdir / "root"
        self.root.mkdir(parents=True)
        self.tls, self.mlsd = tls, mlsd
        self.cert: Path | None = None
        self.key: Path | None = None
        if tls:
            self.cert, self.key = make_certificate(self.workdir)
        self.port = free_port()
        self.log = self.workdir / "ftpd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server process and wait for its port."""
        args = [sys.executable, "-m", "pvt_dagster_tests.support.servers.ftpd",
                "--port", str(self.port), "--root", str(self.root)]
        if self.tls:
            args += ["--tls", str(self.cert), str(self.key)]
        if not self.mlsd:
            args.append("--no-mlsd")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        wait_for_port(self.port, self.proc, log=self.log)

    def stop(self) -> None:
        """Stop the server by its pid."""
        if self.proc is not None:
            kill_tree(self.proc)
            self.proc = None

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self.proc is not None:
            kill_tree(self.proc, 9)
            self.proc = None

    def put(self, name: str, data: bytes, *, mtime: float | None = None) -> Path:
        """Write a file into the served folder."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def source_yaml(self, *, after_transfer: str = "delete", path: str = "/",
                    extra: str = "", indent: int = 8) -> str:
        """The YAML lines of an ftp or ftps source on this server."""
        lines = [f"kind: {'ftps' if self.tls else 'ftp'}", "host: 127.0.0.1",
                 f"port: {self.port}", f"username: {USER}",
                 "password: {env: PVT_TEST_FTP_PASSWORD}", f"path: {path}",
                 f"after_transfer: {after_transfer}", "timeout_seconds: 10"]
        if self.tls:
            lines.append(f"ca_bundle: {self.cert}")
        lines += [line for line in extra.splitlines() if line.strip()]
        return "\n".join(" " * indent + line for line in lines)


def _running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, tls: bool,
             mlsd: bool = True) -> Iterator[FtpServer]:
    reason = missing_reason(tls)
    if reason:
        pytest.skip(reason)
    monkeypatch.setenv("PVT_TEST_FTP_PASSWORD", PASSWORD)
    server = FtpServer(tmp_path, tls=tls, mlsd=mlsd)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def ftpd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtpServer]:
    """A running plain FTP server with MLSD."""
    yield from _running(tmp_path, monkeypatch, tls=False)


@pytest.fixture
def ftpd_no_mlsd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtpServer]:
    """A running plain FTP server without MLST/MLSD (NLST + SIZE + MDTM only)."""
    yield from _running(tmp_path, monkeypatch, tls=False, mlsd=False)


@pytest.fixture
def ftpsd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FtpServer]:
    """A running FTPS server (TLS required on control and data connections)."""
    yield from _running(tmp_path, monkeypatch, tls=True)


def serve(port: int, root: str, tls: tuple[str, str] | None, mlsd: bool) -> None:
    """Run the server in this process until it is stopped."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, root, perm="elradfmwMT")
    base = TLS_FTPHandler if tls else FTPHandler
    attrs: dict[str, object] = {"authorizer": authorizer, "passive_ports": None,
                                "banner": "pvt test ftpd", "permit_foreign_addresses": False}
    if tls:
        attrs.update(certfile=tls[0], keyfile=tls[1], tls_control_required=True,
                     tls_data_required=True)
    if not mlsd:
        attrs["proto_cmds"] = {k: v for k, v in base.proto_cmds.items()
                               if k not in ("MLSD", "MLST")}
    handler = type("Handler", (base,), attrs)
    FTPServer(("127.0.0.1", port), handler).serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--no-mlsd", action="store_true")
    args = parser.parse_args()
    serve(args.port, args.root, tuple(args.tls) if args.tls else None, not args.no_mlsd)
