"""The pull API of the PIExporter notes as a Source (requests, streamed, TLS verified).

The contract this client implements (``url`` is the collection, e.g.
``https://exporter.example/api/packages``; ids are percent-encoded into paths):

``GET {url}``
    200 with a JSON array of the pending packages, each
    ``{"id": "pkg-1", "name": "members_2026-11-23.csv.pgp", "size": 2048,
    "updated": "2026-11-23T10:15:00Z"}`` (optional ``"etag"``). ``id`` (string or integer) is
    unique and stable; ``name`` is the file name (untrusted); ``size`` is the byte count;
    ``updated`` is an ISO 8601 time with a zone: a package whose size or ``updated`` changes is
    a new delivery. A ``Link: <URL>; rel="next"`` header pages on (same scheme, host and port
    only). Anything else is a recorded error for the whole poll.
``HEAD {url}/{id}``
    200 with ``Content-Length`` (= size) and ``Last-Modified`` (= updated, an HTTP date in
    whole seconds); 404 or 410 when the package is gone.
``GET {url}/{id}``
    200 with the package's bytes (any content type), read as a stream; 404 or 410 when gone.
``DELETE {url}/{id}``
    200, 202 or 204 when removed; 404 or 410 when already gone. PVT sends it only with
    ``after_transfer: delete``, and only after the bytes are in the vault, flushed and verified.

Every request carries ``Authorization: Bearer <token>`` when a token is configured; 401 or 403
means the token was refused. Certificates are verified (``ca_bundle`` for a private CA), and
modification times are compared in whole seconds.

Nothing is decompressed on the way: every request says ``Accept-Encoding: identity``, and a
package's bytes are read raw even when a server sends ``Content-Encoding: gzip`` anyway, so a
compression bomb is stored as the small file it is (its size checked against the listing),
never inflated onto the disk.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from pvt_dagster.config import HttpSource
from pvt_dagster.errors import (
    PvtError,
    ServerIdentityError,
    SourceAuthError,
    SourceEntryGoneError,
    SourceError,
)
from pvt_dagster.sources.base import BaseSource, RemoteEntry, name_problem, unsafe_entry
from pvt_dagster.sources.streams import ChunkStream

CHUNK = 1024 * 1024
MAX_PAGES = 10_000
_GONE = (404, 410)


def parse_updated(text: object) -> float:
    """Whole seconds since the epoch of an ISO 8601 time with a zone; ValueError otherwise."""
    if not isinstance(text, str):
        raise ValueError("updated is not a string")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("updated has no time zone")
    return float(int(moment.timestamp()))


class PullApiSource(BaseSource[HttpSource]):
    """Packages behind the pull API: list, HEAD, streamed GET and DELETE with a bearer token."""

    def __init__(self, name: str, config: HttpSource) -> None:
        super().__init__(name, config)
        self.url = config.url.rstrip("/")
        self._session: requests.Session | None = None
        self._verify: bool | str = str(config.ca_bundle) if config.ca_bundle else True

    # -- connection and errors --------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made on first use (the token is resolved here, never stored)."""
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "pvt-intake"
            session.headers["Accept-Encoding"] = "identity"  # no transparent decompression
            if self.config.token is not None:
                session.headers["Authorization"] = f"Bearer {self.config.token.resolve()}"
            self._session = session
        return self._session

    def _item_url(self, path: str) -> str:
        if not path:
            raise SourceError(f"{self.label}: empty package id")
        return f"{self.url}/{quote(path, safe='')}"

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """requests' errors: an unverified certificate, or a server that cannot be reached."""
        if isinstance(exc, requests.exceptions.SSLError):
            return ServerIdentityError(
                f"{self.label}: the TLS certificate of {self._host()} does not verify "
                "(set ca_bundle for a private CA)")
        if isinstance(exc, requests.exceptions.RequestException):
            what = f"{path!r}" if path is not None else "the package list"
            return SourceError(f"{self.label}: {action} {what} failed: cannot reach "
                               f"{self._host()} ({type(exc).__name__})")
        return None

    def _request(self, method: str, url: str, path: str | None, *,
                 stream: bool = False) -> requests.Response:
        """One request with errors translated; non-2xx answers raise our errors."""
        what = f"{path!r}" if path is not None else "the package list"
        with self.translating(method, path):
            response = self.session.request(method, url, stream=stream, verify=self._verify,
                                            timeout=self.config.timeout_seconds,
                                            allow_redirects=False)
        if 200 <= response.status_code < 300:
            return response
        response.close()
        status = response.status_code
        if status in (401, 403):
            raise SourceAuthError(f"{self.label}: the API refused the token "
                                  f"(HTTP {status} on {method} {what})")
        if status in _GONE and path is not None:
            raise SourceEntryGoneError(f"{self.label}: package {path!r} is gone")
        raise SourceError(f"{self.label}: {method} {what} answered HTTP {status}")

    def _host(self) -> str:
        return urlsplit(self.url).netloc.rsplit("@", 1)[-1]

    # -- listing ----------------------------------------------------------------------------

    def list_entries(self) -> list[RemoteEntry]:
        """Every pending package (following ``rel="next"`` links), sorted by id."""
        entries: list[RemoteEntry] = []
        url: str | None = self.url
        origin = urlsplit(self.url)[:2]
        for _ in range(MAX_PAGES):
            if url is None:
                break
            response = self._request("GET", url, None)
            try:
                body: Any = response.json()
            except ValueError as exc:
                raise SourceError(f"{self.label}: the package list is not JSON") from exc
            finally:
                response.close()
            if not isinstance(body, list):
                raise SourceError(f"{self.label}: the package list is not a JSON array")
            entries.extend(self._entry(index, item) for index, item in enumerate(body))
            url = response.links.get("next", {}).get("url")
            if url is not None and urlsplit(url)[:2] != origin:
                raise SourceError(f"{self.label}: refusing a next page on another host")
        else:
            raise SourceError(f"{self.label}: more than {MAX_PAGES} pages of packages")
        return sorted(entries, key=lambda e: e.path)

    def _entry(self, index: int, item: Any) -> RemoteEntry:
        """A listed package as an entry; SourceError naming the item if it breaks the contract."""
        try:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            ident, name, size = item.get("id"), item.get("name"), item.get("size")
            if isinstance(ident, bool) or not isinstance(ident, str | int) or ident == "":
                raise ValueError("id is not a non-empty string or integer")
            if not isinstance(name, str) or not name:
                raise ValueError("name is not a non-empty string")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError("size is not a byte count")
            mtime = parse_updated(item.get("updated"))
            etag = item.get("etag")
        except ValueError as exc:
            raise SourceError(f"{self.label}: package #{index} of the list breaks the "
                              f"API contract: {exc}") from exc
        problem = name_problem(name) or name_problem(str(ident))
        if problem is not None:  # refused and recorded; the listing goes on
            return unsafe_entry(str(ident), name, problem)
        return RemoteEntry(path=str(ident), name=name, size=size, mtime=mtime,
                           etag=etag if isinstance(etag, str) else None)

    # -- single entries ---------------------------------------------------------------------

    def stat(self, path: str) -> RemoteEntry:
        """The package now (HEAD: Content-Length and Last-Modified); gone on 404/410."""
        response = self._request("HEAD", self._item_url(path), path)
        try:
            size = int(response.headers["Content-Length"])
            mtime = float(int(parsedate_to_datetime(response.headers["Last-Modified"])
                              .timestamp()))
        except (KeyError, ValueError, TypeError) as exc:
            raise SourceError(f"{self.label}: HEAD {path!r} lacks a valid Content-Length "
                              "or Last-Modified") from exc
        return RemoteEntry(path=path, name=path, size=size, mtime=mtime,
                           etag=response.headers.get("ETag"))

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A stream of the package's bytes as sent (GET, streamed, never decompressed)."""
        response = self._request("GET", self._item_url(path), path, stream=True)
        translate = self.reading_error(
            path, (requests.exceptions.RequestException, Urllib3Error, OSError))
        raw = response.raw.stream(CHUNK, decode_content=False)
        return ChunkStream(raw, translate=translate, on_close=response.close).as_binary()

    def remove(self, path: str) -> None:
        """DELETE the package (sent only after it is safely in the vault)."""
        self._request("DELETE", self._item_url(path), path).close()

    def archive(self, path: str, destination: str) -> str:
        """The API has no archive; config validation refuses it for http sources."""
        raise SourceError(f"{self.label}: the pull API cannot archive {path!r} "
                          f"to {destination!r}; use delete or keep")

    def close(self) -> None:
        """Close the session's connections."""
        if self._session is not None:
            self._session.close()
            self._session = None
