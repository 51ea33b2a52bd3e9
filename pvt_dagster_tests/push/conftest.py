"""Fixtures for push intake: a push config and a real ``pvt serve`` (uvicorn over TLS) on
127.0.0.1. ``push_server`` is shared by a module (tests use their own names and users);
``limited_server`` is a fresh one with tight login limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster_tests.support.servers.pvt_serve import PushEnv, running_pvt_serve, write_push_env


@pytest.fixture(scope="module")
def push_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushEnv]:
    """A running ``pvt serve`` with generous login limits, for one test module."""
    env = write_push_env(tmp_path_factory.mktemp("push"))
    with running_pvt_serve(env):
        yield env


@pytest.fixture
def limited_server(tmp_path: Path) -> Iterator[PushEnv]:
    """A running ``pvt serve`` that locks a user out after 3 failed logins and an address
    after 6."""
    env = write_push_env(tmp_path, user_failures=3, address_failures=6)
    with running_pvt_serve(env):
        yield env
