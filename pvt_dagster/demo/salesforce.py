"""A local HTTPS stand-in speaking the part of Salesforce's REST API simple-salesforce uses for
Cases: sobjects create (POST), get, update (PATCH), upsert and get by external id
(``/sobjects/Case/<Field>/<value>``), query, and an OAuth client-credentials token URL.
Requests need ``Authorization: Bearer <token>`` (else 401 INVALID_SESSION_ID, as Salesforce
answers); ``fail_next`` makes the next requests answer a given status (401, 500, ...). With
``folder`` set, every record is also kept there as ``<Object>-<Id>.json`` (and read back at
start). The demo's Salesforce, and the test suite's
(``pvt_dagster_tests.support.servers.salesforce``)."""

from __future__ import annotations

import json
import os
import re
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pvt_dagster.errors import DemoError

_SOBJECT = re.compile(r"^/services/data/v[\d.]+/sobjects/(\w+)/(?:([^/]+)(?:/([^/]+))?)?/?$")
_QUERY = re.compile(r"^/services/data/v[\d.]+/query/?$")
_WHERE = re.compile(r"FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*=\s*'([^']*)')?", re.IGNORECASE)


@dataclass
class SalesforceStandIn:
    """The org's state (records by object and id) and what the client sent."""

    cert: Path
    key: Path
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    client_id: str = "pvt-client"
    client_secret: str = "pvt-secret"
    port: int = 0  # 0: any free port (``port`` is set at start)
    folder: Path | None = None  # keep every record as <Object>-<Id>.json, when set
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The instance URL."""
        return f"https://127.0.0.1:{self.port}"

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status``."""
        with self.lock:
            self.failures.extend([status] * count)

    def cases(self) -> list[dict[str, Any]]:
        """Every Case, in creation order."""
        return list(self.records.get("Case", {}).values())

    def start(self) -> SalesforceStandIn:
        """Serve HTTPS on 127.0.0.1:port in a thread."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._load()
        handler = type("Handler", (_Handler,), {"org": self})
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        except OSError as exc:
            raise DemoError(f"port 127.0.0.1:{self.port} (Salesforce stand-in) is taken: stop "
                            "what listens there or choose another port") from exc
        self.port = int(self._server.server_address[1])
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)

    def record_body(self, raw: str) -> None:
        """Called with every request body received (under the lock)."""

    def _load(self) -> None:
        """Read back the records kept in ``folder``."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
            record = json.loads(path.read_text(encoding="utf-8"))
            obj = record.get("attributes", {}).get("type", path.stem.split("-", 1)[0])
            self.records.setdefault(obj, {})[record["Id"]] = record

    def _save(self, obj: str, record: dict[str, Any] | None, record_id: str) -> None:
        """Write (or, for None, remove) one record's file in ``folder``."""
        if self.folder is None:
            return
        path = self.folder / f"{obj}-{record_id}.json"
        if record is None:
            path.unlink(missing_ok=True)
            return
        partial = path.with_name(f".{path.name}.part")
        partial.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, path)

    # --- the org's logic, called by the handler under the lock --------------------------
    def handle(self, method: str, path: str, query: str, body: dict[str, Any] | None,
               authorized: bool) -> tuple[int, Any]:
        """(status, JSON body) for one request."""
        if self.failures:
            status = self.failures.pop(0)
            code = "INVALID_SESSION_ID" if status == 401 else "UNKNOWN_EXCEPTION"
            return status, [{"message": "injected failure", "errorCode": code, "fields": []}]
        if not authorized:
            return 401, [{"message": "Session expired or invalid",
                          "errorCode": "INVALID_SESSION_ID", "fields": []}]
        if _QUERY.match(path):
            return 200, self._query(parse_qs(query).get("q", [""])[0])
        match = _SOBJECT.match(path)
        if not match:
            return 404, [{"message": "not found", "errorCode": "NOT_FOUND", "fields": []}]
        obj, first, second = match.group(1), match.group(2), match.group(3)
        table = self.records.setdefault(obj, {})
        if second is not None:
            return self._by_external_id(method, obj, table, first or "", unquote(second), body)
        if first is None:
            if method != "POST":
                return 405, [{"message": "method", "errorCode": "METHOD_NOT_ALLOWED"}]
            created = self._insert(obj, table, body or {})
            return 201, {"id": created["Id"], "success": True, "errors": []}
        record = table.get(first)
        if record is None:
            return 404, [{"message": "no record", "errorCode": "NOT_FOUND", "fields": []}]
        if method == "GET":
            return 200, record
        if method == "PATCH":
            record.update(body or {})
            self._save(obj, record, first)
            return 204, None
        if method == "DELETE":
            del table[first]
            self._save(obj, None, first)
            return 204, None
        return 405, [{"message": "method", "errorCode": "METHOD_NOT_ALLOWED"}]

    def _insert(self, obj: str, table: dict[str, dict[str, Any]],
                body: dict[str, Any]) -> dict[str, Any]:
        record_id = "500" + uuid.uuid4().hex[:15].upper()
        record = {"attributes": {"type": obj}, "Id": record_id, **body}
        table[record_id] = record
        self._save(obj, record, record_id)
        return record

    def _by_external_id(self, method: str, obj: str, table: dict[str, dict[str, Any]],
                        field_name: str, value: str, body: dict[str, Any] | None
                        ) -> tuple[int, Any]:
        found = [r for r in table.values() if r.get(field_name) == value]
        if len(found) > 1:
            return 300, [r["Id"] for r in found]
        if method == "GET":
            if not found:
                return 404, [{"message": "no record", "errorCode": "NOT_FOUND", "fields": []}]
            return 200, found[0]
        if method != "PATCH":
            return 405, [{"message": "method", "errorCode": "METHOD_NOT_ALLOWED"}]
        if found:
            found[0].update(body or {})
            self._save(obj, found[0], found[0]["Id"])
            return 200, {"id": found[0]["Id"], "success": True, "errors": [], "created": False}
        record = self._insert(obj, table, {**(body or {}), field_name: value})
        return 201, {"id": record["Id"], "success": True, "errors": [], "created": True}

    def _query(self, soql: str) -> dict[str, Any]:
        match = _WHERE.search(soql)
        rows: list[dict[str, Any]] = []
        if match:
            table = self.records.get(match.group(1), {})
            rows = [r for r in table.values()
                    if match.group(2) is None or str(r.get(match.group(2))) == match.group(3)]
        return {"totalSize": len(rows), "done": True, "records": rows}

    def token_response(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        """The OAuth client-credentials token endpoint."""
        if (form.get("grant_type") != ["client_credentials"]
                or form.get("client_id") != [self.client_id]
                or form.get("client_secret") != [self.client_secret]):
            return 400, {"error": "invalid_client"}
        return 200, {"access_token": self.token, "instance_url": self.url,
                     "token_type": "Bearer"}


class _Handler(BaseHTTPRequestHandler):
    org: SalesforceStandIn

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        org = self.org
        with org.lock:
            org.requests.append((self.command, parts.path))
            if raw:
                org.record_body(raw)
            if parts.path == "/services/oauth2/token":
                status, payload = org.token_response(parse_qs(raw))
            else:
                authorized = self.headers.get("Authorization") == f"Bearer {org.token}"
                status, payload = org.handle(self.command, parts.path, parts.query,
                                             json.loads(raw) if raw else None, authorized)
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer
