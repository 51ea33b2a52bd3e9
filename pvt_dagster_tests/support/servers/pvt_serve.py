"""A real ``pvt serve`` (uvicorn, TLS with a self-signed certificate) on 127.0.0.1 for push
tests: a config with two clients (``acme`` with a password user and a token user, ``globex``
with its own user), started as a subprocess and stopped by its pid."""

from __future__ import annotations

import base64
import http.client
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.pipeline import Intake
from pvt_dagster.push.passwords import hash_password
from pvt_dagster.sources.push import PushArea
from pvt_dagster_tests.support.servers.common import free_port, kill_tree, wait_for_port
from pvt_dagster_tests.support.servers.tls import self_signed

PASSWORDS = {"alice": "alice-Correct-Horse-81", "bob": "bob-Battery-Staple-27",
             "carol": "carol-Tr0ub4dor-3"}
TOKEN = "robot-token-5f0c1e2d3b4a69788796a5b4"
TOKEN_ENV = "PVT_TEST_PUSH_TOKEN"

PUSH_CONFIG = """\
home: {home}
push:
  host: 127.0.0.1
  port: {port}
  tls: {{cert: {cert}, key: {key}}}
  login_limits: {{user_failures: {user_failures}, address_failures: {address_failures},
                 window_seconds: 600}}
clients:
  acme:
    constraints: {{max_bytes: 8MB}}
    sources:
      uploads: {{kind: push, after_transfer: delete}}
    push:
      users:
        alice: {{password_hash: {{file: secrets/alice.hash}}}}
        carol: {{password_hash: {{env: PVT_TEST_CAROL_HASH}}}}
        robot: {{token: {{env: {token_env}}}}}
    polling: {{interval_seconds: 1, quiesce_seconds: 3600}}   # push files need not settle
    feeds:
      members:
        source: uploads
        pattern: "members_*.csv"
        decrypt: none
        columns:
          member_id: {{pii: false}}
          ssn:
            required: true
            checks: [{{rule: pattern, pattern: ssn, severity: failure}}]
            scrub: [strip_hyphens]
        deliver:
          - {{kind: daily_csv, dir: out}}
      small:
        source: uploads
        pattern: "small_*.txt"
        decrypt: none
        constraints: {{max_bytes: 1KB, formats: [.txt]}}
  globex:
    sources:
      uploads: {{kind: push, after_transfer: delete}}
    push:
      users:
        bob: {{password_hash: {{file: secrets/bob.hash}}}}
    feeds:
      orders: {{source: uploads, pattern: "orders_*.csv", decrypt: none}}
"""


def basic(user: str, password: str | None = None) -> str:
    """An ``Authorization`` header value for a user (its password unless one is given)."""
    pair = f"{user}:{PASSWORDS[user] if password is None else password}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


@dataclass
class PushEnv:
    """A push config, its certificate and where ``pvt serve`` listens and logs."""

    root: Path
    config_path: Path
    cert: Path
    port: int
    log: Path
    hashes: dict[str, str]

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"https://127.0.0.1:{self.port}"

    def base(self, client: str = "acme") -> str:
        """A client's base URL (what ``pvt upload --url`` takes)."""
        return f"{self.url}/v1/{client}"

    def intake(self) -> Intake:
        """A fresh Intake over the config."""
        return Intake.from_path(self.config_path)

    def area(self, client: str = "acme", source: str = "uploads") -> PushArea:
        """A push source's area."""
        return PushArea.of(self.root / "home", client, source)

    def secrets(self) -> list[str]:
        """Every secret that must never show in a log or a record."""
        pairs = [basic(u).split(" ", 1)[1] for u in PASSWORDS]
        return [*PASSWORDS.values(), TOKEN, *self.hashes.values(), *pairs]

    def environ(self) -> dict[str, str]:
        """The server's environment: the token and carol's hash come from variables."""
        return {**os.environ, TOKEN_ENV: TOKEN, "PVT_TEST_CAROL_HASH": self.hashes["carol"]}

    def connect(self) -> ssl.SSLSocket:
        """A TLS connection to the server (its certificate verified)."""
        context = ssl.create_default_context(cafile=str(self.cert))
        return context.wrap_socket(socket.create_connection(("127.0.0.1", self.port), 10),
                                   server_hostname="127.0.0.1")

    def start_put(self, path: str, length: int, authorization: str) -> ssl.SSLSocket:
        """Send a PUT's headers (no body yet); the caller sends the body and reads the reply."""
        sock = self.connect()
        sock.sendall(f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
                     f"{authorization}\r\nContent-Length: {length}\r\n"
                     "Content-Type: application/octet-stream\r\n\r\n".encode())
        return sock


def read_reply(sock: ssl.SSLSocket) -> tuple[int, bytes]:
    """The status and body of the response on ``sock``."""
    response = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
    response.begin()
    return response.status, response.read()


def write_push_env(root: Path, *, user_failures: int = 1000,
                   address_failures: int = 1000) -> PushEnv:
    """Write the config, a certificate and the users' hashes under ``root``."""
    cert, key = self_signed(root / "tls")
    secrets = root / "secrets"
    secrets.mkdir(mode=0o700)
    hashes = {user: hash_password(password) for user, password in PASSWORDS.items()}
    for user in ("alice", "bob"):
        (secrets / f"{user}.hash").write_text(hashes[user] + "\n")
    port = free_port()
    config_path = root / "pvt.yaml"
    config_path.write_text(PUSH_CONFIG.format(
        home=root / "home", port=port, cert=cert, key=key, token_env=TOKEN_ENV,
        user_failures=user_failures, address_failures=address_failures))
    return PushEnv(root, config_path, cert, port, root / "serve.log", hashes)


@contextmanager
def running_pvt_serve(env: PushEnv) -> Iterator[subprocess.Popen[bytes]]:
    """``pvt serve`` on the env's port until the block ends (SIGTERM by pid: it must stop
    gracefully, exit status 0)."""
    pvt = Path(sys.executable).parent / "pvt"
    with env.log.open("ab") as log:
        proc = subprocess.Popen([str(pvt), "--config", str(env.config_path), "serve"],
                                env=env.environ(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        wait_for_port(env.port, proc, timeout=60, log=env.log)
        yield proc
    finally:
        kill_tree(proc)
    assert proc.returncode == 0, env.log.read_text()[-2000:]
