"""``pvt upload``: the client's side of push intake (after the mysimbdp notes' fetchdata
script). It asks the server for the client's constraints, checks each file against its feed's
pattern and limits, then streams each accepted file with ``PUT`` (progress on stderr for large
files) and checks the sha256 the server answers. Any refusal, local or by the server, is
reported with its reason."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import requests

from pvt_dagster.errors import UploadError, UsageError

#: Files at least this large show progress.
PROGRESS_FROM_BYTES = 1024 * 1024
CHUNK = 256 * 1024
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Login:
    """How the client logs in: a user and password (Basic) or a bearer token."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def apply(self, session: requests.Session) -> None:
        """Put the credentials on every request of ``session``."""
        if self.token is not None:
            session.headers["Authorization"] = f"Bearer {self.token}"
        elif self.user is not None and self.password is not None:
            session.auth = (self.user, self.password)
        else:
            raise UploadError("give -u USER and -p PASSWORD, or a token")


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: uploaded (with the server's answer) or refused and why."""

    path: Path
    feed: str | None
    ok: bool
    detail: str
    answer: dict[str, Any] | None = None


class _Progress:
    """A readable body that hashes what is sent and reports progress for large files."""

    def __init__(self, handle: IO[bytes], size: int, label: str,
                 report: Callable[[str], None] | None) -> None:
        self.handle, self.size, self.label, self.report = handle, size, label, report
        self.sent, self.sha = 0, hashlib.sha256()
        self._shown, self._last = -1, 0.0

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        """The next chunk of the file (at most CHUNK bytes)."""
        chunk = self.handle.read(CHUNK if amount is None or amount < 0 else min(amount, CHUNK))
        self.sha.update(chunk)
        self.sent += len(chunk)
        self._show()
        return chunk

    def _show(self) -> None:
        if self.report is None or self.size < PROGRESS_FROM_BYTES:
            return
        percent = self.sent * 100 // self.size
        now = time.monotonic()
        if percent // 10 != self._shown // 10 or (now - self._last > 1 and percent != self._shown):
            self._shown, self._last = percent, now
            self.report(f"{self.label}: {percent}% ({self.sent // 1024} of "
                        f"{self.size // 1024} KiB)")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def expand(paths: list[Path]) -> list[Path]:
    """The files to send: each file named, and the plain files directly in each folder named
    (hidden ones skipped), in name order; UsageError for anything else."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir()
                            if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return files


class Uploader:
    """Uploads files to one client's base URL (``https://host:port/v1/<client>``)."""

    def __init__(self, url: str, login: Login, *, cacert: Path | None = None,
                 report: Callable[[str], None] | None = _stderr) -> None:
        self.url = url.rstrip("/")
        self.verify: str | bool = str(cacert) if cacert is not None else True
        self.session = requests.Session()
        login.apply(self.session)
        self.report = report

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            # verify on each request: a session-level value loses to REQUESTS_CA_BUNDLE.
            return self.session.request(method, url, verify=self.verify,
                                        timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise UploadError(f"{self.url}: the server's certificate does not verify "
                              "(--cacert PEM for a private or self-signed one)") from exc
        except requests.RequestException as exc:
            raise UploadError(f"{self.url}: cannot reach the server "
                              f"({type(exc).__name__})") from exc

    def constraints(self) -> dict[str, Any]:
        """The client's constraints and feeds, as the server states them."""
        response = self._request("GET", f"{self.url}/constraints")
        if response.status_code != 200:
            raise UploadError(f"refused ({response.status_code}): {_reason(response)}",
                              refused=True)
        data: dict[str, Any] = response.json()
        return data

    @staticmethod
    def feed_for(name: str, feeds: dict[str, Any], chosen: str | None) -> str | None:
        """The feed a file goes to: ``chosen``, else the first whose pattern matches."""
        if chosen is not None:
            return chosen
        return next((f for f, spec in feeds.items() if fnmatchcase(name, spec["pattern"])),
                    None)

    @staticmethod
    def local_problem(path: Path, feed: str | None, feeds: dict[str, Any]) -> str | None:
        """Why the server would refuse the file, checked here first, or None."""
        if feed is None:
            return "matches no feed's pattern (-d FEED to choose one)"
        spec = feeds.get(feed)
        if spec is None:
            return f"feed {feed!r} takes no uploads (feeds: {', '.join(feeds) or 'none'})"
        if not fnmatchcase(path.name, spec["pattern"]):
            return f"does not match feed {feed}'s pattern {spec['pattern']!r}"
        limits, size = spec["constraints"], path.stat().st_size
        if limits.get("max_bytes") is not None and size > limits["max_bytes"]:
            return f"too large: {size} bytes, the limit is {limits['max_bytes']} bytes"
        if size < (limits.get("min_bytes") or 0):
            return f"too small: {size} bytes, the minimum is {limits['min_bytes']} bytes"
        formats = limits.get("formats") or []
        if formats and not any(path.name.lower().endswith(f.lower()) for f in formats):
            return f"does not end with an allowed suffix ({', '.join(formats)})"
        return None

    def upload(self, path: Path, feed: str) -> Outcome:
        """PUT one file to its feed; the outcome (refusals are outcomes, not exceptions)."""
        size = path.stat().st_size
        with path.open("rb") as handle:
            body = _Progress(handle, size, path.name, self.report)
            response = self._request(
                "PUT", f"{self.url}/{quote(feed, safe='')}/{quote(path.name, safe='')}",
                data=body, headers={"Content-Type": "application/octet-stream",
                                    "Content-Length": str(size)})
        if response.status_code != 201:
            return Outcome(path, feed, False, f"refused ({response.status_code}): "
                                              f"{_reason(response)}")
        answer: dict[str, Any] = response.json()
        if answer.get("sha256") != body.sha.hexdigest() or answer.get("bytes") != body.sent:
            return Outcome(path, feed, False, "the server stored different bytes than were "
                                              f"sent (sha256 {answer.get('sha256')})", answer)
        return Outcome(path, feed, True, f"{answer['bytes']} bytes, sha256 {answer['sha256']}",
                       answer)

    def run(self, paths: list[Path], feed: str | None = None) -> list[Outcome]:
        """Check and upload every file; one outcome each (stops only if the server cannot
        be reached or refuses the login)."""
        files = expand(paths)
        feeds: dict[str, Any] = self.constraints().get("feeds", {})
        outcomes = []
        for path in files:
            target = self.feed_for(path.name, feeds, feed)
            problem = self.local_problem(path, target, feeds)
            if problem is not None:
                outcomes.append(Outcome(path, target, False, f"not sent: {problem}"))
                continue
            assert target is not None
            outcomes.append(self.upload(path, target))
        return outcomes


def _reason(response: requests.Response) -> str:
    """The server's reason for a refusal (its JSON ``error``), or the status text."""
    try:
        return str(response.json()["error"])
    except (ValueError, KeyError, TypeError):
        return response.reason or "no reason given"


def password_from_env(explicit: str | None, env: str) -> str | None:
    """``explicit``, else the variable ``env`` (so the secret need not be on the command line)."""
    return explicit if explicit is not None else os.environ.get(env)
