"""``pvt config check`` for ``notify``: routes name known channels with real addresses, each
channel used has its block, and the Salesforce block has a way in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pvt_dagster.config.notify import channel_problem, is_address

if TYPE_CHECKING:
    from pvt_dagster.config.check import ConfigReport
    from pvt_dagster.config.models import PvtConfig


def _ca_problem(path: Path | None) -> str | None:
    if path is None or path.is_file():
        return None
    return f"CA bundle {path} is not a readable file"


def check_notify(config: PvtConfig, report: ConfigReport) -> None:
    """Add every problem of the ``notify`` block to ``report`` (with its line)."""
    notify, at = config.notify, ("notify",)
    email, sf = notify.email, notify.salesforce
    if email is not None and email.allow_insecure:
        from pvt_dagster.config.check import INSECURE

        report.warn((*at, "email", "allow_insecure"), INSECURE)
    if email is not None and not is_address(email.sender):
        report.error((*at, "email", "sender"), f"'{email.sender}' is not an email address")
    if sf is not None and sf.session_id is None and None in (sf.token_url, sf.client_id,
                                                             sf.client_secret):
        report.error((*at, "salesforce"), "salesforce needs session_id, or token_url with "
                                          "client_id and client_secret")
    for block, ca in (("email", email.ca_bundle if email else None),
                      ("salesforce", sf.ca_bundle if sf else None)):
        problem = _ca_problem(ca)
        if problem:
            report.error((*at, block, "ca_bundle"), problem)
    for index, route in enumerate(notify.routes):
        route_at = (*at, "routes", index)
        for position, channel in enumerate(route.send):
            problem = channel_problem(channel.strip())
            kind = channel.strip().partition(":")[0]
            if problem is None and kind in ("email", "digest") and email is None:
                problem = f"channel '{channel}' needs a notify.email block (the SMTP relay)"
            if problem is None and kind == "salesforce" and sf is None:
                problem = "channel 'salesforce' needs a notify.salesforce block"
            if problem:
                report.error((*route_at, "send", position), problem)
        match = route.match
        if match.client is not None and match.client not in config.clients:
            report.warn((*route_at, "match", "client"),
                        f"no client '{match.client}': this route never matches")
        elif match.feed is not None and not any(
                match.feed in c.feeds for name, c in config.clients.items()
                if match.client in (None, name)):
            report.warn((*route_at, "match", "feed"),
                        f"no feed '{match.feed}': this route never matches")
