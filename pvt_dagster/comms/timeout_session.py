"""A requests session with a default timeout on every call, for the channels that call out
over HTTP (imported where they do, so that loading the code location does not import requests)."""

from __future__ import annotations

from typing import Any

import requests


class TimeoutSession(requests.Session):
    """A requests session with a default timeout on every call."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        """Send with the default timeout unless one is given."""
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)
