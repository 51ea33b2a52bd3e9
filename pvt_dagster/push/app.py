"""The upload API of ``pvt serve`` (a Starlette ASGI app):

- ``GET /v1/<client>/constraints``: the client's constraints and each push feed's pattern;
- ``PUT /v1/<client>/<feed>/<name>``: the body streams into the feed's push area (temp file,
  then a rename); 201 with ``name``, ``bytes``, ``sha256``.

Refusals: 401 bad or missing credentials, 403 another client's area, 404 unknown feed or
endpoint, 405 wrong method, 409 the same name is uploading or waiting, 413 over ``max_bytes``,
415 a name the feed refuses, 422 under ``min_bytes``, 429 too many failed logins (Retry-After).
Every refusal is logged and recorded in the ledger (``push_refusals``) with its reason; no
password, token or hash is ever logged or recorded."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from anyio import to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pvt_dagster.config import Constraints, FeedConfig, PushSource, PvtConfig
from pvt_dagster.errors import LedgerError, PushRefusedError
from pvt_dagster.ledger import Ledger
from pvt_dagster.masking import mask_pii
from pvt_dagster.polling import constraint_violation, match_feed, name_violation
from pvt_dagster.push.area import UploadSlot, name_problem, replaces_existing, sweep_partials
from pvt_dagster.push.auth import CHALLENGE, Authenticator, Principal, parse_authorization
from pvt_dagster.push.ratelimit import LoginLimiter
from pvt_dagster.sources import PushArea

log = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
#: Status recorded when the client went away before its body was complete (nothing is sent).
CLIENT_CLOSED = 499


@dataclass
class Asked:
    """What a request asked for, as far as it got: for the refusal record and the log."""

    method: str
    path: str
    address: str | None
    user: str | None = None
    client: str | None = None
    feed: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class PushFeed:
    """A feed that takes uploads: its config, constraints, source and area."""

    name: str
    config: FeedConfig
    constraints: Constraints
    source: str
    area: PushArea


def shown(text: str | None, limit: int = 300) -> str | None:
    """Untrusted request text for a log line: one printable line, clipped, PII-masked."""
    if text is None:
        return None
    return mask_pii("".join(ch if ch.isprintable() else "?" for ch in text[:limit]))


def min_bytes(constraints: Constraints) -> int:
    """The effective minimum size (unset means 1: an empty file is refused)."""
    return 1 if constraints.min_bytes is None else constraints.min_bytes


def constraints_json(config: PvtConfig, client: str) -> dict[str, object]:
    """What ``GET /v1/<client>/constraints`` returns: the client's constraints and, for each
    feed that takes uploads, its pattern, effective constraints and upload path."""
    client_config = config.clients[client]
    feeds: dict[str, object] = {}
    for name, feed in client_config.feeds.items():
        if not isinstance(client_config.sources.get(feed.source), PushSource):
            continue
        effective = client_config.feed_constraints(feed)
        feeds[name] = {
            "pattern": feed.pattern,
            "constraints": {**effective.model_dump(), "min_bytes": min_bytes(effective)},
            "upload": f"/v1/{client}/{name}/{{name}}",
        }
    return {"client": client, "constraints": client_config.constraints.model_dump(),
            "feeds": feeds}


class PushApi:
    """The upload API over one config and its ledger."""

    def __init__(self, config: PvtConfig, ledger: Ledger, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config, self.ledger = config, ledger
        self.auth = Authenticator(config)
        self.limiter = LoginLimiter(config.push.login_limits, clock)

    # -- the app ----------------------------------------------------------------------------

    def app(self) -> Starlette:
        """The ASGI app."""
        return Starlette(routes=[
            Route("/v1/{client}/constraints", self._wrap(self._constraints), methods=METHODS),
            Route("/v1/{client}/{feed}/{name}", self._wrap(self._upload), methods=METHODS),
            Route("/{path:path}", self._wrap(self._unknown), methods=METHODS),
        ], lifespan=self._lifespan)

    def areas(self) -> dict[tuple[str, str], PushArea]:
        """Every push source's area, by (client, source)."""
        return {(c, s): PushArea.of(self.config.home, c, s)
                for c, client in self.config.clients.items()
                for s, source in client.sources.items() if isinstance(source, PushSource)}

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        """At start: create every push area and remove temp files a killed server left."""
        for (client, source), area in self.areas().items():
            removed = await to_thread.run_sync(sweep_partials, area.ensure())
            if removed:
                log.info("push area %s/%s: removed %d abandoned partial upload(s)",
                         client, source, removed)
        yield

    def _wrap(self, handler: Callable[[Request, Asked], Awaitable[Response]]
              ) -> Callable[[Request], Awaitable[Response]]:
        """The endpoint: run ``handler``; turn a refusal into its response, log and record it."""

        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            asked = Asked(request.method, request.url.path,
                          request.client.host if request.client else None)
            try:
                return await handler(request, asked)
            except PushRefusedError as exc:
                await self._refused(asked, exc.status, exc.reason)
                headers = dict(exc.headers)
                if request.method in ("PUT", "POST", "PATCH"):
                    headers["Connection"] = "close"  # the rest of the body is never read
                return JSONResponse({"status": exc.status, "error": exc.reason},
                                    status_code=exc.status, headers=headers)
            except ClientDisconnect:
                await self._refused(asked, CLIENT_CLOSED, "the client disconnected before the "
                                                          "body was complete; nothing was kept")
                return Response(status_code=400)  # nobody is left to read it

        return endpoint

    async def _refused(self, asked: Asked, status: int, reason: str) -> None:
        """Log and record one refusal (never with a secret: none is in ``asked``)."""
        log.warning("refused %s %s from %s (user %s): %d %s", asked.method, shown(asked.path),
                    asked.address, shown(asked.user, 100), status, shown(reason, 1000))
        try:
            await to_thread.run_sync(functools.partial(
                self.ledger.record_push_refusal, status=status, reason=reason,
                method=asked.method, address=asked.address, user=asked.user,
                client=asked.client, feed=asked.feed, name=asked.name))
        except LedgerError as exc:
            log.error("could not record a push refusal in the ledger: %s", exc)

    # -- checks -----------------------------------------------------------------------------

    async def _login(self, request: Request, asked: Asked) -> Principal:
        """The authenticated user; 401, or 429 while the user or address is locked out."""
        credentials = parse_authorization(request.headers.get("authorization"))
        asked.user = credentials.user
        wait = self.limiter.retry_after(credentials.user, asked.address)
        if wait is not None:
            raise PushRefusedError(429, f"too many failed logins; try again in {wait} s",
                                   headers={"Retry-After": str(wait)})
        principal = await to_thread.run_sync(self.auth.authenticate, credentials)
        if principal is None:
            self.limiter.failed(credentials.user, asked.address)
            raise PushRefusedError(401, "bad credentials", headers=CHALLENGE)
        asked.user = principal.user
        return principal

    @staticmethod
    def _own_client(principal: Principal, client: str) -> None:
        if client != principal.client:
            raise PushRefusedError(403, f"user {principal.user} may not use the area of "
                                        f"client {client!r}")

    @staticmethod
    def _method(request: Request, *allowed: str) -> None:
        if request.method not in allowed:
            raise PushRefusedError(405, f"{request.method} is not allowed here "
                                        f"(allowed: {', '.join(allowed)})",
                                   headers={"Allow": ", ".join(allowed)})

    def _push_feed(self, client: str, feed: str) -> PushFeed:
        """A feed of the client whose source is a push source; 404 otherwise."""
        client_config = self.config.clients[client]
        config = client_config.feeds.get(feed)
        source = client_config.sources.get(config.source) if config is not None else None
        if config is None or not isinstance(source, PushSource):
            raise PushRefusedError(404, f"client {client} has no feed {feed!r} that takes "
                                        "uploads")
        return PushFeed(feed, config, client_config.feed_constraints(config), config.source,
                        PushArea.of(self.config.home, client, config.source))

    def _check_name(self, client: str, feed: PushFeed, name: str) -> None:
        """415 unless the name is safe and the feed's (first matching) pattern takes it."""
        problem = name_problem(name)
        if problem is None and not fnmatchcase(name, feed.config.pattern):
            problem = f"the name does not match the pattern {feed.config.pattern!r} of feed " \
                      f"{feed.name}"
        if problem is None:
            owner = match_feed(name, self.config.clients[client].feeds, feed.source)
            if owner != feed.name:
                problem = f"the name belongs to feed {owner} (the first feed whose pattern matches)"
        if problem is None:
            problem = name_violation(name, feed.constraints)
        if problem is not None:
            raise PushRefusedError(415, problem)

    @staticmethod
    def _declared_size(request: Request, limit: int | None) -> None:
        """400 for a malformed Content-Length, 413 when it is over the limit."""
        header = request.headers.get("content-length")
        if header is None:
            return
        if not header.isdigit():
            raise PushRefusedError(400, "Content-Length is not a number")
        if limit is not None and int(header) > limit:
            raise PushRefusedError(413, f"too large: {int(header)} bytes, the limit is "
                                        f"{limit} bytes")

    # -- endpoints --------------------------------------------------------------------------

    async def _constraints(self, request: Request, asked: Asked) -> Response:
        asked.client = request.path_params["client"]
        principal = await self._login(request, asked)
        self._own_client(principal, asked.client)
        self._method(request, "GET")
        return JSONResponse(constraints_json(self.config, principal.client))

    async def _unknown(self, request: Request, asked: Asked) -> Response:
        parts = request.url.path.strip("/").split("/")
        if len(parts) > 1 and parts[0] == "v1":
            asked.client = parts[1]
        principal = await self._login(request, asked)
        if asked.client is not None:
            self._own_client(principal, asked.client)
        raise PushRefusedError(404, "no such endpoint (GET /v1/<client>/constraints, "
                                    "PUT /v1/<client>/<feed>/<name>)")

    async def _upload(self, request: Request, asked: Asked) -> Response:
        params = request.path_params
        asked.client, asked.feed, asked.name = params["client"], params["feed"], params["name"]
        principal = await self._login(request, asked)
        self._own_client(principal, asked.client)
        self._method(request, "PUT")
        feed = self._push_feed(principal.client, params["feed"])
        name = params["name"]
        self._check_name(principal.client, feed, name)
        limit = feed.constraints.max_bytes
        self._declared_size(request, limit)
        slot = await to_thread.run_sync(UploadSlot.claim, feed.area, name)
        try:
            replace = await to_thread.run_sync(replaces_existing, self.ledger, feed.area,
                                               principal.client, feed.source, name)
            async for chunk in request.stream():
                if limit is not None and slot.size + len(chunk) > limit:
                    raise PushRefusedError(413, f"too large: more than {limit} bytes, the "
                                                f"limit is {limit} bytes")
                slot.write(chunk)
            if slot.size < min_bytes(feed.constraints):
                raise PushRefusedError(422, constraint_violation(
                    slot.size, name, feed.constraints) or "too small")
            uploaded = await to_thread.run_sync(functools.partial(slot.publish, replace=replace))
        finally:
            slot.discard()
        log.info("upload %s/%s %s from %s (user %s): %d bytes, sha256 %s", principal.client,
                 feed.name, shown(name), asked.address, principal.user, uploaded.bytes,
                 uploaded.sha256)
        return JSONResponse({"name": uploaded.name, "bytes": uploaded.bytes,
                             "sha256": uploaded.sha256}, status_code=201)
