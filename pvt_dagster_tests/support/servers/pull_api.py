"""A small HTTPS server of the pull API (the contract in pvt_dagster.sources.http), in a thread
on 127.0.0.1: bearer-token check, paged JSON listing with Link rel="next", HEAD, streamed GET,
and a DELETE that really removes the package. Tests add, replace and drop packages directly."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from pvt_dagster_tests.support.servers.tls import self_signed

TOKEN = "pull-api-test-token"
BASE = "/api/packages"


@dataclass
class Package:
    """One pending package."""

    name: str
    data: bytes
    updated: datetime
    # A lying server: GET sends this many more bytes than listed (and no Content-Length).
    extra: int = 0
    # Sent with ``Content-Encoding: gzip``: ``data`` is the gzip bytes the listing counts.
    gzip: bool = False


@dataclass
class PullApiState:
    """What the server holds and what it was asked."""

    packages: dict[str, Package] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    accept_encodings: list[str | None] = field(default_factory=list)  # of each GET
    sent: dict[str, int] = field(default_factory=dict)  # bytes of a lying GET really sent
    page_size: int = 100
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read ``state.requests`` instead."""

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") == f"Bearer {TOKEN}":
            return True
        self._reply(401, b'{"error": "bad token"}', "application/json")
        return False

    def _reply(self, status: int, body: bytes = b"", kind: str = "text/plain",
               headers: dict[str, str] | None = None, *, send_body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _package(self) -> tuple[str, Package | None]:
        ident = unquote(urlsplit(self.path).path[len(BASE) + 1:])
        with self.server.state.lock:
            return ident, self.server.state.packages.get(ident)

    def _handle(self, method: str) -> None:
        state = self.server.state
        state.requests.append((method, self.path))
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        if method == "GET" and path == BASE:
            self._listing()
            return
        if not path.startswith(BASE + "/"):
            self._reply(404)
            return
        ident, package = self._package()
        if package is None:
            self._reply(404)
        elif method == "DELETE":
            with state.lock:
                state.packages.pop(ident, None)
            self._reply(204)
        elif method == "GET" and package.extra:
            self._lie(ident, package)
        else:
            if method == "GET":
                state.accept_encodings.append(self.headers.get("Accept-Encoding"))
            headers = {"Last-Modified": format_datetime(package.updated, usegmt=True)}
            if package.gzip:
                headers["Content-Encoding"] = "gzip"
            self._reply(200, package.data, "application/octet-stream", headers,
                        send_body=method == "GET")

    def _lie(self, ident: str, package: Package) -> None:
        """Send the package and ``extra`` more bytes with no Content-Length (HTTP/1.0: the body
        ends when the connection closes), until done or the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        sent, block = 0, package.data + b"x" * package.extra
        try:
            for start in range(0, len(block), 64 * 1024):
                piece = block[start:start + 64 * 1024]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass  # the client stopped reading
        finally:
            self.server.state.sent[ident] = sent

    def _listing(self) -> None:
        state = self.server.state
        page = int(parse_qs(urlsplit(self.path).query).get("page", ["0"])[0])
        with state.lock:
            items = sorted(state.packages.items())
        chunk = items[page * state.page_size:(page + 1) * state.page_size]
        body = json.dumps([{"id": k, "name": p.name, "size": len(p.data),
                            "updated": p.updated.strftime("%Y-%m-%dT%H:%M:%SZ")}
                           for k, p in chunk]).encode()
        headers = {}
        if (page + 1) * state.page_size < len(items):
            port = self.server.server_address[1]
            headers["Link"] = f'<https://127.0.0.1:{port}{BASE}?page={page + 1}>; rel="next"'
        self._reply(200, body, "application/json", headers)

    def do_GET(self) -> None:
        """List or fetch."""
        self._handle("GET")

    def do_HEAD(self) -> None:
        """Size and time of a package."""
        self._handle("HEAD")

    def do_DELETE(self) -> None:
        """Remove a package."""
        self._handle("DELETE")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: PullApiState


@dataclass
class PullApi:
    """A running pull-API server."""

    url: str
    cert: Path
    state: PullApiState
    server: _Server
    thread: threading.Thread

    def put(self, ident: str, name: str, data: bytes, *, updated: datetime | None = None,
            extra: int = 0, gzip: bool = False) -> None:
        """Add or replace a package (``extra``: GET sends that many bytes more than listed;
        ``gzip``: sent as ``Content-Encoding: gzip``)."""
        moment = (updated or datetime.now(UTC)).replace(microsecond=0)
        with self.state.lock:
            self.state.packages[ident] = Package(name, data, moment, extra, gzip)

    def drop(self, ident: str) -> None:
        """Remove a package behind the client's back."""
        with self.state.lock:
            self.state.packages.pop(ident, None)

    def source_yaml(self, *, after_transfer: str, token_env: str, ca: bool = True) -> str:
        """The YAML of an http source on this server (8-space indented keys)."""
        return (f"        kind: http\n        url: {self.url}\n"
                f"        token: {{env: {token_env}}}\n"
                + (f"        ca_bundle: {self.cert}\n" if ca else "")
                + f"        after_transfer: {after_transfer}\n")


def start_pull_api(folder: Path) -> PullApi:
    """Serve the pull API over TLS on a free port in a thread; stop it with ``stop``."""
    cert, key = self_signed(folder)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = PullApiState()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="pull-api", daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{server.server_address[1]}{BASE}"
    return PullApi(url, cert, server.state, server, thread)


def stop_pull_api(api: PullApi) -> None:
    """Stop serving and close the socket."""
    api.server.shutdown()
    api.server.server_close()
    api.thread.join(5)


@pytest.fixture
def pull_api(tmp_path: Path) -> Iterator[PullApi]:
    """A fresh pull-API server for one test."""
    api = start_pull_api(tmp_path / "pull-api-tls")
    try:
        yield api
    finally:
        stop_pull_api(api)
