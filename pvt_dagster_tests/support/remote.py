"""Point the shared test config's ``drop`` source at a real server, and put encrypted or
plain files on that server (the same feeds and stages as the local end-to-end tests)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Protocol

from pvt_dagster.decrypt import encrypt_file
from pvt_dagster_tests.support.fixtures import FEED_KEY, IntakeEnv

_DROP = re.compile(r"(      drop:\n)(?:        .*\n)+(    polling: .*\n)")


class Server(Protocol):
    """What a test server offers to these helpers."""

    def put(self, name: str, data: bytes, *, mtime: float | None = None) -> Path:
        """Write a file where the server serves it."""
        ...


def use_source(env: IntakeEnv, source_yaml: str, *, client_extra: str = "") -> None:
    """Replace the ``drop`` source of ``env``'s config; ``client_extra`` adds client keys
    (indented 4, e.g. ``transfer:`` or ``constraints:``)."""
    text = env.config_path.read_text()
    extra = "".join(f"    {line}\n" for line in client_extra.splitlines() if line.strip())
    new, count = _DROP.subn(lambda m: m[1] + source_yaml.rstrip("\n") + "\n" + extra + m[2],
                            text)
    assert count == 1, "the test config has no drop source to replace"
    env.config_path.write_text(new)


def encrypted(env: IntakeEnv, data: bytes) -> bytes:
    """``data`` encrypted to the feed key."""
    with tempfile.TemporaryDirectory(dir=env.root) as tmp:
        plain, target = Path(tmp) / "plain", Path(tmp) / "enc"
        plain.write_bytes(data)
        encrypt_file(env.keys.keystore, plain, target, recipient=FEED_KEY)
        return target.read_bytes()
