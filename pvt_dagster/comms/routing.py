"""Routing: which channels a message goes to (``notify.routes``, first match wins unless the
route says ``continue: true``; no match means ``log`` only)."""

from __future__ import annotations

from pvt_dagster.config.notify import Route, RouteMatch
from pvt_dagster.ledger import MessageRecord

DEFAULT_CHANNELS = ("log",)


def matches(match: RouteMatch, message: MessageRecord) -> bool:
    """Whether every field the route sets equals the message's."""
    wanted = {"severity": match.severity, "client": match.client, "feed": match.feed,
              "stage": match.stage, "kind": match.kind}
    return all(value is None or getattr(message, name) == value
               for name, value in wanted.items())


def route(message: MessageRecord, routes: list[Route]) -> list[str]:
    """The channel names for a message, in route order, without repeats."""
    channels: list[str] = []
    for candidate in routes:
        if not matches(candidate.match, message):
            continue
        for channel in candidate.send:
            if channel.strip() not in channels:
                channels.append(channel.strip())
        if not candidate.continue_:
            break
    return channels or list(DEFAULT_CHANNELS)
