"""``pvt serve``: the upload API on uvicorn, with TLS from ``push.tls`` (plain HTTP only on a
loopback host), uvicorn's own access log off (our log lines mask names) and proxy headers
ignored (the peer address is the one the login limits count)."""

from __future__ import annotations

import contextlib
import logging
import signal
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from pvt_dagster.config import PushTls, PvtConfig, is_loopback
from pvt_dagster.errors import ConfigError, UsageError
from pvt_dagster.ledger import Ledger
from pvt_dagster.push.app import PushApi
from pvt_dagster.tracking import PiiFilter

GRACEFUL_SECONDS = 10


@dataclass(frozen=True)
class Listen:
    """Where the server listens and with which certificate (None: plain HTTP on loopback)."""

    host: str
    port: int
    tls: PushTls | None

    @property
    def url(self) -> str:
        """The base URL clients use."""
        scheme = "https" if self.tls is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def listen_on(config: PvtConfig, host: str | None, port: int | None) -> Listen:
    """Where to listen: the command line over ``push:``; UsageError for plain HTTP off
    loopback, ConfigError for a certificate or key that cannot be loaded."""
    chosen = Listen(host or config.push.host, port or config.push.port, config.push.tls)
    if chosen.tls is None and not is_loopback(chosen.host):
        raise UsageError(f"refusing plain HTTP on {chosen.host}: set push.tls {{cert, key}} "
                         "in the config, or listen on 127.0.0.1")
    if chosen.tls is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                chosen.tls.cert, chosen.tls.key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"push.tls: cannot load {chosen.tls.cert} and {chosen.tls.key}: "
                              f"{getattr(exc, 'strerror', None) or type(exc).__name__}") from exc
    return chosen


def _log_to_stderr() -> None:
    """The server's own lines (and uvicorn's start/stop lines) on stderr, PII-masked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PiiFilter())
    for name in ("pvt_dagster.push", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def serve(config: PvtConfig, ledger: Ledger, listen: Listen) -> None:
    """Run the upload API until SIGINT or SIGTERM; either stops it gracefully (uploads in
    progress get GRACEFUL_SECONDS to finish) and returns normally."""
    _log_to_stderr()
    tls: dict[str, str | Path] = {}
    if listen.tls is not None:
        tls = {"ssl_certfile": listen.tls.cert, "ssl_keyfile": listen.tls.key}
    server = uvicorn.Server(uvicorn.Config(
        PushApi(config, ledger).app(), host=listen.host, port=listen.port, log_config=None,
        access_log=False, proxy_headers=False, server_header=False, lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SECONDS, **tls))  # type: ignore[arg-type]
    # uvicorn re-raises the stop signal once it has shut down: make SIGTERM a
    # KeyboardInterrupt like SIGINT, and end quietly on either.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
