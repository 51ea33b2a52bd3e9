"""The upload API of ``pvt serve`` over real TLS on 127.0.0.1: the constraints endpoint; every
refusal of the contract (401, 403, 404, 409, 413, 415, 422), each recorded in the ledger with
its reason; a client that disconnects mid-body leaves nothing for discovery to find; two
uploads of one name at once give one 201 and one 409, never a mixed file; no password, token or
hash ever shows in a log or in the ledger."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pvt_dagster.cli import main
from pvt_dagster.config import load_config
from pvt_dagster.ledger import Ledger
from pvt_dagster.ledger.push import PushRefusalRecord
from pvt_dagster_tests.support.flow import poll
from pvt_dagster_tests.support.servers.pvt_serve import (
    TOKEN,
    PushEnv,
    basic,
    read_reply,
)


def put(env: PushEnv, path: str, data: Any, authorization: str | None = None,
        **headers: str) -> requests.Response:
    """A PUT to the server (as alice unless told), its certificate verified."""
    auth = {"Authorization": authorization or basic("alice")}
    return requests.put(env.url + path, data=data, headers={**auth, **headers},
                        verify=str(env.cert), timeout=30)


def get(env: PushEnv, path: str, authorization: str | None) -> requests.Response:
    """A GET to the server with the given Authorization header (or none)."""
    headers = {"Authorization": authorization} if authorization else {}
    return requests.get(env.url + path, headers=headers, verify=str(env.cert), timeout=30)


def refusals(env: PushEnv) -> list[PushRefusalRecord]:
    """Every refusal the server recorded so far."""
    ledger = Ledger.for_config(load_config(env.config_path))
    try:
        return ledger.push_refusals()
    finally:
        ledger.close()


def last_refusal(env: PushEnv) -> PushRefusalRecord:
    """The newest recorded refusal."""
    return refusals(env)[-1]


def assert_refused(response: requests.Response, env: PushEnv, status: int,
                   reason_part: str) -> PushRefusalRecord:
    """The response is that refusal, with its reason, and the ledger recorded it."""
    assert response.status_code == status, response.text
    assert reason_part in response.json()["error"]
    record = last_refusal(env)
    assert (record.status, record.reason) == (status, response.json()["error"])
    return record


def incoming(env: PushEnv, client: str = "acme") -> list[str]:
    """Names in a client's incoming folder."""
    return sorted(p.name for p in env.area(client).incoming.iterdir())


def partials(env: PushEnv, client: str = "acme") -> list[str]:
    """Names of uploads in progress (temp files)."""
    return sorted(p.name for p in env.area(client).partial.iterdir())


def test_constraints_list_the_clients_push_feeds(push_server: PushEnv) -> None:
    response = get(push_server, "/v1/acme/constraints", basic("alice"))
    assert response.status_code == 200
    body = response.json()
    assert body["client"] == "acme" and body["constraints"]["max_bytes"] == 8_000_000
    assert set(body["feeds"]) == {"members", "small"}
    members, small = body["feeds"]["members"], body["feeds"]["small"]
    assert members["pattern"] == "members_*.csv"
    assert members["upload"] == "/v1/acme/members/{name}"
    assert members["constraints"]["max_bytes"] == 8_000_000
    assert members["constraints"]["min_bytes"] == 1
    assert small["constraints"]["max_bytes"] == 1000 and small["constraints"]["formats"] == [
        ".txt"]
    by_token = get(push_server, "/v1/acme/constraints", f"Bearer {TOKEN}")
    assert by_token.status_code == 200 and by_token.json() == body
    globex = get(push_server, "/v1/globex/constraints", basic("bob")).json()
    assert set(globex["feeds"]) == {"orders"}


def test_bad_or_missing_credentials_are_401(push_server: PushEnv) -> None:
    wrong = get(push_server, "/v1/acme/constraints", basic("alice", "not-her-password"))
    record = assert_refused(wrong, push_server, 401, "bad credentials")
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert (record.user, record.client, record.address) == ("alice", "acme", "127.0.0.1")
    nobody = put(push_server, "/v1/acme/members/members_1.csv", b"x", basic("mallory", "x"))
    assert assert_refused(nobody, push_server, 401, "bad credentials").user == "mallory"
    assert_refused(get(push_server, "/v1/acme/constraints", "Bearer not-the-token"),
                   push_server, 401, "bad credentials")
    assert_refused(get(push_server, "/v1/acme/constraints", None), push_server, 401,
                   "credentials required")
    assert_refused(get(push_server, "/v1/acme/constraints", "Basic %%%"), push_server, 401,
                   "malformed")
    env_hash = get(push_server, "/v1/acme/constraints", basic("carol"))  # hash from {env}
    assert env_hash.status_code == 200
    assert incoming(push_server) == []


def test_another_clients_area_is_403_whatever_the_request(push_server: PushEnv) -> None:
    bob = basic("bob")
    assert_refused(put(push_server, "/v1/acme/members/members_b.csv", b"ssn\n1\n", bob),
                   push_server, 403, "may not use the area of client 'acme'")
    assert_refused(get(push_server, "/v1/acme/constraints", bob), push_server, 403, "acme")
    assert_refused(get(push_server, "/v1/acme/members/members_b.csv", bob), push_server, 403,
                   "acme")
    assert_refused(get(push_server, "/v1/acme/members", bob), push_server, 403, "acme")
    record = assert_refused(put(push_server, "/v1/globex/orders/orders_a.csv", b"1"),
                            push_server, 403, "client 'globex'")
    assert (record.user, record.client, record.feed, record.name) == (
        "alice", "globex", "orders", "orders_a.csv")
    assert incoming(push_server) == [] and incoming(push_server, "globex") == []


def test_unknown_feed_or_endpoint_is_404(push_server: PushEnv) -> None:
    assert_refused(put(push_server, "/v1/acme/nope/members_1.csv", b"1"), push_server, 404,
                   "no feed 'nope'")
    # globex's feed name under acme is no more than an unknown feed
    assert_refused(put(push_server, "/v1/acme/orders/orders_1.csv", b"1"), push_server, 404,
                   "no feed 'orders'")
    assert_refused(get(push_server, "/v1/acme/members/x/y", basic("alice")), push_server,
                   404, "no such endpoint")
    assert_refused(get(push_server, "/v1/acme/members/members_1.csv", basic("alice")),
                   push_server, 405, "GET is not allowed")


def test_a_name_the_feed_refuses_is_415(push_server: PushEnv) -> None:
    assert_refused(put(push_server, "/v1/acme/members/other_1.csv", b"1"), push_server, 415,
                   "does not match the pattern 'members_*.csv' of feed members")
    assert_refused(put(push_server, "/v1/acme/small/members_1.csv", b"1"), push_server, 415,
                   "does not match")
    assert_refused(put(push_server, "/v1/acme/members/members_%0A1.csv", b"1"), push_server,
                   415, "control characters")
    assert_refused(put(push_server, "/v1/acme/members/.members_1.csv", b"1"), push_server, 415,
                   "starting with '.'")
    assert incoming(push_server) == [] and partials(push_server) == []


def test_over_the_size_limit_is_413_declared_or_streamed(push_server: PushEnv) -> None:
    declared = put(push_server, "/v1/acme/small/small_big.txt", b"x" * 5_000)
    assert_refused(declared, push_server, 413, "5000 bytes, the limit is 1000 bytes")

    def chunks() -> Iterator[bytes]:  # no Content-Length: caught while streaming
        for _ in range(40):
            yield b"y" * 100

    assert_refused(put(push_server, "/v1/acme/small/small_big2.txt", chunks()), push_server,
                   413, "the limit is 1000 bytes")
    assert incoming(push_server) == [] and partials(push_server) == []
    assert_refused(put(push_server, "/v1/acme/small/small_empty.txt", b""), push_server, 422,
                   "empty file")
    exact = put(push_server, "/v1/acme/small/small_exact.txt", b"z" * 1000)
    assert exact.status_code == 201 and exact.json()["bytes"] == 1000
    assert incoming(push_server) == ["small_exact.txt"]
    (push_server.area().incoming / "small_exact.txt").unlink()


def _wait_for(condition: Any, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_client_that_disconnects_mid_body_leaves_nothing(push_server: PushEnv) -> None:
    name = "members_cut.csv"
    sock = push_server.start_put(f"/v1/acme/members/{name}", 200_000, basic("alice"))
    sock.sendall(b"a" * 100_000)
    temp = push_server.area().partial / name
    _wait_for(lambda: temp.exists() and temp.stat().st_size > 0)
    intake = push_server.intake()
    try:
        assert poll(intake, source_name="uploads").listed == 0  # the partial is never listed
        sock.close()  # gone mid-body
        _wait_for(lambda: any(r.status == 499 and r.name == name for r in refusals(push_server)))
        assert partials(push_server) == [] and incoming(push_server) == []
        assert poll(intake, source_name="uploads").listed == 0
        assert [f for f in intake.ledger.list_files() if f.name == name] == []
    finally:
        intake.close()
    record = [r for r in refusals(push_server) if r.name == name][-1]
    assert "disconnected" in record.reason and "nothing was kept" in record.reason


def test_two_uploads_of_one_name_at_once_one_201_one_409(push_server: PushEnv) -> None:
    name = "members_twice.csv"
    first = b"ssn\n" + b"123-45-6789\n" * 20_000
    sock = push_server.start_put(f"/v1/acme/members/{name}", len(first), basic("alice"))
    sock.sendall(first[:100_000])
    temp = push_server.area().partial / name
    _wait_for(lambda: temp.exists() and temp.stat().st_size > 0)
    second = put(push_server, f"/v1/acme/members/{name}", b"ssn\n987-65-4321\n",
                 f"Bearer {TOKEN}")
    assert_refused(second, push_server, 409, "in progress")
    sock.sendall(first[100_000:])
    status, body = read_reply(sock)
    sock.close()
    assert status == 201, body
    assert (push_server.area().incoming / name).read_bytes() == first
    again = put(push_server, f"/v1/acme/members/{name}", b"ssn\n987-65-4321\n")
    assert_refused(again, push_server, 409, "waiting to be taken in")
    (push_server.area().incoming / name).unlink()


def test_racing_uploads_of_one_name_never_mix(push_server: PushEnv) -> None:
    name = "members_race.csv"
    bodies = [b"ssn\n" + bytes([65 + i]) * 3_000_000 for i in range(2)]
    statuses: list[int] = []

    def send(body: bytes) -> None:
        statuses.append(put(push_server, f"/v1/acme/members/{name}", body).status_code)

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201, 409]
    assert (push_server.area().incoming / name).read_bytes() in bodies
    assert partials(push_server) == []
    (push_server.area().incoming / name).unlink()


def test_pvt_push_refusals_lists_what_was_refused(push_server: PushEnv,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    put(push_server, "/v1/acme/members/wrong_name.csv", b"1")
    assert main(["--config", str(push_server.config_path), "push", "refusals", "--json",
                 "--client", "acme", "--since", "1h"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["client"] == "acme" for r in rows)
    last = rows[-1]
    assert (last["status"], last["user"], last["feed"], last["name"]) == (
        415, "alice", "members", "wrong_name.csv")
    assert last["at"].endswith("Z") and last["method"] == "PUT"
    assert main(["--config", str(push_server.config_path), "push", "refusals"]) == 0
    assert "refusal(s)" in capsys.readouterr().out


def test_untrusted_text_cannot_forge_log_lines(push_server: PushEnv) -> None:
    assert put(push_server, "/v1/acme/members/members_%0AFORGED%201.csv", b"1").status_code \
        == 415
    assert get(push_server, "/v1/acme/constraints", basic("x\nFORGED 2", "pw")).status_code \
        == 401
    lines = push_server.log.read_text().splitlines()
    assert any("refused PUT" in line and "FORGED 1.csv" in line for line in lines)
    assert not any(line.startswith("FORGED") for line in lines)


def test_no_secret_in_any_log_or_record(push_server: PushEnv) -> None:
    # Logins of every kind, right and wrong, so the logs have had every chance to leak.
    get(push_server, "/v1/acme/constraints", basic("alice"))
    get(push_server, "/v1/acme/constraints", basic("alice", "bob-Battery-Staple-27"))
    get(push_server, "/v1/acme/constraints", basic("bob"))
    get(push_server, "/v1/acme/constraints", f"Bearer {TOKEN}x")
    put(push_server, "/v1/acme/small/small_x.csv", b"1", f"Bearer {TOKEN}")
    assert refusals(push_server), "nothing was refused: the check below would prove nothing"
    home = push_server.root / "home"
    logs = [push_server.log, *sorted((home / "logs").glob("*.log"))]
    assert any("refused" in p.read_text() for p in logs)
    ledger_files = sorted(home.glob("ledger.db*"))
    for path in [*logs, *ledger_files]:
        data = path.read_bytes()
        for secret in push_server.secrets():
            assert secret.encode() not in data, f"a secret shows in {path.name}"
