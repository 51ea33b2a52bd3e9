"""Failed-login limits of the upload API: per user name and per remote address, over a sliding
window. A caller at its limit is refused (429 with Retry-After) before its credentials are
even checked, until enough of its failures have aged out of the window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from pvt_dagster.config import LoginLimits

#: Keys kept before expired ones are swept (bounds memory under a flood of made-up names).
_SWEEP_AT = 10_000


class LoginLimiter:
    """Counts failed logins per user and per address; says how long a caller must wait."""

    def __init__(self, limits: LoginLimits,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, user: str | None, address: str | None) -> list[tuple[str, int]]:
        keys = []
        if user:
            keys.append((f"user:{user}", self.limits.user_failures))
        if address:
            keys.append((f"addr:{address}", self.limits.address_failures))
        return keys

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's failures still inside the window (older ones dropped)."""
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.limits.window_seconds:
            times.popleft()
        return times

    def retry_after(self, user: str | None, address: str | None) -> int | None:
        """Whole seconds until this user and address may try again, or None if they may now."""
        now, wait = self.clock(), 0.0
        with self._lock:
            for key, limit in self._keys(user, address):
                times = self._recent(key, now)
                if len(times) >= limit:
                    wait = max(wait, times[len(times) - limit] + self.limits.window_seconds - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, user: str | None, address: str | None) -> None:
        """Count one failed login of this user name (known or not) from this address."""
        now = self.clock()
        with self._lock:
            if len(self._failures) >= _SWEEP_AT:
                self._sweep(now)
            for key, _limit in self._keys(user, address):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times

    def _sweep(self, now: float) -> None:
        for key in list(self._failures):
            if not self._recent(key, now):
                del self._failures[key]
