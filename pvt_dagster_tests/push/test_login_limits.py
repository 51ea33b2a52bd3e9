"""Repeated bad logins against a real ``pvt serve``: a user is locked out after 3 failures (429
with Retry-After, even with the right password, while other users still get in), an address
after 6, and every 429 is recorded."""

from __future__ import annotations

import requests

from pvt_dagster.config import load_config
from pvt_dagster.ledger import Ledger
from pvt_dagster_tests.support.servers.pvt_serve import PushEnv, basic


def constraints(env: PushEnv, authorization: str) -> requests.Response:
    """GET the acme constraints with that Authorization header."""
    return requests.get(f"{env.base()}/constraints", headers={"Authorization": authorization},
                        verify=str(env.cert), timeout=30)


def test_bad_logins_lock_out_the_user_then_the_address(limited_server: PushEnv) -> None:
    for _ in range(3):
        assert constraints(limited_server, basic("alice", "guess")).status_code == 401
    locked = constraints(limited_server, basic("alice"))  # the right password, too late
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 600
    assert "too many failed logins" in locked.json()["error"]
    assert constraints(limited_server, basic("carol")).status_code == 200  # others get in
    for name in ("eve", "eve2"):  # failures 4 and 5 of this address
        assert constraints(limited_server, basic(name, "guess")).status_code == 401
    assert constraints(limited_server, basic("carol")).status_code == 200
    assert constraints(limited_server, basic("eve3", "guess")).status_code == 401  # the 6th
    blocked = constraints(limited_server, basic("carol"))
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    assert constraints(limited_server, "Bearer anything").status_code == 429
    ledger = Ledger.for_config(load_config(limited_server.config_path))
    try:
        statuses = [(r.status, r.user) for r in ledger.push_refusals()]
    finally:
        ledger.close()
    assert statuses == [(401, "alice")] * 3 + [(429, "alice"), (401, "eve"), (401, "eve2"),
                                                 (401, "eve3"), (429, "carol"), (429, None)]
