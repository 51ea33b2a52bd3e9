"""``pvt config check`` for push intake: the server's certificate and key are readable files,
and every client with a push source has a user who can upload to it (and the reverse)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvt_dagster.config.models import PushSource

if TYPE_CHECKING:
    from pvt_dagster.config.check import ConfigReport
    from pvt_dagster.config.models import PvtConfig


def check_push(config: PvtConfig, report: ConfigReport) -> None:
    """Add every problem of ``push`` and the clients' ``push.users`` to ``report``."""
    from pvt_dagster.config.check import file_problem

    if config.push.tls is not None:
        for name in ("cert", "key"):
            problem = file_problem(getattr(config.push.tls, name))
            if problem:
                report.error(("push", "tls", name), problem)
    for client_name, client in config.clients.items():
        push_sources = [n for n, s in client.sources.items() if isinstance(s, PushSource)]
        if push_sources and not client.push.users:
            report.warn(("clients", client_name, "sources", push_sources[0]),
                        f"no push user of client {client_name} can upload to this source "
                        "(clients.<client>.push.users)")
        if client.push.users and not push_sources:
            report.warn(("clients", client_name, "push"),
                        "these users have no kind: push source to upload to")
