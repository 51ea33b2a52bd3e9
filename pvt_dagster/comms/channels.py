"""Channel names as routes write them: ``log``, ``email:ADDRESS``, ``digest:ADDRESS``,
``salesforce`` (the rules live in ``config.notify`` so ``pvt config check`` shares them)."""

from __future__ import annotations

from dataclasses import dataclass

from pvt_dagster.config import CHANNEL_KINDS, channel_problem, is_address
from pvt_dagster.errors import ChannelRejectedError

__all__ = ["CHANNEL_KINDS", "Channel", "channel_problem", "is_address", "parse_channel"]


@dataclass(frozen=True)
class Channel:
    """A parsed channel: its kind and, for email and digest, the recipient address."""

    kind: str
    address: str | None = None

    @property
    def name(self) -> str:
        """The channel as routes write it."""
        return self.kind if self.address is None else f"{self.kind}:{self.address}"


def parse_channel(text: str) -> Channel:
    """A channel from its name; ChannelRejectedError when it is not a usable name."""
    problem = channel_problem(text.strip())
    if problem:
        raise ChannelRejectedError(problem)
    kind, _, address = text.strip().partition(":")
    return Channel(kind, address or None)
