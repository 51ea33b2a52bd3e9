"""Routing: which channels a message goes to (``notify.routes``, first match wins unless the
route says ``continue: true``; no match means ``log`` only). A ``critical`` message (a file
left at its source) is a failure that cannot wait: routes for ``severity: failure`` take it
too (unless a route names ``critical`` first), and its digest channels send at once."""

from __future__ import annotations

from pvt_dagster.config import Route, RouteMatch
from pvt_dagster.ledger import MessageRecord

DEFAULT_CHANNELS = ("log",)


def matches(match: RouteMatch, message: MessageRecord) -> bool:
    """Whether every field the route sets equals the message's (a ``failure`` route also
    matches a ``critical`` message)."""
    if match.severity is not None and match.severity != message.severity and not (
            match.severity == "failure" and message.severity == "critical"):
        return False
    pairs: tuple[tuple[str | None, str | None], ...] = (
        (match.client, message.client), (match.feed, message.feed),
        (match.stage, message.stage), (match.kind, message.kind))
    return all(wanted is None or wanted == actual for wanted, actual in pairs)


def immediate(channel: str) -> str:
    """A critical message's channel: a digest address is sent to at once, by email."""
    kind, sep, address = channel.partition(":")
    return f"email:{address}" if sep and kind == "digest" else channel


def route(message: MessageRecord, routes: list[Route]) -> list[str]:
    """The channel names for a message, in route order, without repeats."""
    channels: list[str] = []
    for candidate in routes:
        if not matches(candidate.match, message):
            continue
        for channel in candidate.send:
            name = channel.strip()
            if message.severity == "critical":
                name = immediate(name)
            if name not in channels:
                channels.append(name)
        if not candidate.continue_:
            break
    return channels or list(DEFAULT_CHANNELS)
