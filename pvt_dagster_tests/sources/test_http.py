"""The http source against the project's own pull-API server over TLS on 127.0.0.1: paged
listing, contract violations, streamed reads verified by sha256, DELETE only after the vault,
bad tokens, untrusted certificates, a vanished package, and one package end to end."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pvt_dagster.config.models import Delete, HttpSource, Keep
from pvt_dagster.errors import (
    ServerIdentityError,
    SourceAuthError,
    SourceEntryGoneError,
    SourceError,
)
from pvt_dagster.sources import Source, open_source
from pvt_dagster.sources.http import PullApiSource
from pvt_dagster.transport import after_transfer, receive
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily
from pvt_dagster_tests.support.remote_env import encrypted, sensor_messages, use_source
from pvt_dagster_tests.support.servers.pull_api import TOKEN, PullApi

TOKEN_ENV = "PVT_TEST_PULL_TOKEN"


@pytest.fixture
def api(pull_api: PullApi, monkeypatch: pytest.MonkeyPatch) -> PullApi:
    """The pull-API server, with its token in the environment variable configs name."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return pull_api


def make(api: PullApi, *, after: str = "keep", ca: bool = True,
         token_env: str = TOKEN_ENV) -> PullApiSource:
    """An http source on the pull-API server."""
    config = HttpSource.model_validate({
        "kind": "http", "url": api.url, "token": {"env": token_env}, "after_transfer": after,
        **({"ca_bundle": str(api.cert)} if ca else {})})
    source = open_source("api", config)
    assert isinstance(source, PullApiSource) and isinstance(source, Source)
    return source


def test_lists_every_page_with_sizes_and_times(api: PullApi) -> None:
    api.state.page_size = 2
    when = datetime(2026, 11, 23, 10, 15, 0, tzinfo=UTC)
    for n in range(5):
        api.put(f"p{n}", f"members_{n}.csv.pgp", b"y" * n, updated=when)
    source = make(api)
    entries = source.list_entries()
    assert [e.path for e in entries] == ["p0", "p1", "p2", "p3", "p4"]
    assert [(e.name, e.size) for e in entries][3] == ("members_3.csv.pgp", 3)
    assert {e.mtime for e in entries} == {when.timestamp()}
    assert sum(1 for method, path in api.state.requests if method == "GET") == 3
    stat = source.stat("p3")
    assert (stat.size, stat.mtime) == (3, when.timestamp())


@pytest.mark.parametrize("item", [{"id": "x", "name": "a", "size": -1, "updated": "2026-11-01"},
                                  {"id": "", "name": "a", "size": 1,
                                   "updated": "2026-11-01T00:00:00Z"},
                                  {"id": "x", "name": "a", "size": 1, "updated": "yesterday"}])
def test_a_listing_that_breaks_the_contract_is_an_error(item: dict[str, object]) -> None:
    config = HttpSource(kind="http", url="https://127.0.0.1:9/api", after_transfer="keep")
    source = PullApiSource("api", config)
    with pytest.raises(SourceError, match="package #0 of the list breaks the API contract"):
        source._entry(0, item)


def test_streams_a_large_package_with_its_sha256(api: PullApi, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    api.put("big", "big.bin", data)
    source = make(api)
    (entry,) = source.list_entries()
    received = receive(source, entry, tmp_path / "vault" / "big.bin")
    assert received.sha256 == hashlib.sha256(data).hexdigest() and received.bytes == len(data)
    source.close()


def test_delete_removes_the_package_and_keep_leaves_it(api: PullApi) -> None:
    api.put("a", "a.csv", b"a")
    api.put("b/with slash", "b.csv", b"b")
    source = make(api, after="delete")
    entries = {e.path: e for e in source.list_entries()}
    assert after_transfer(source, entries["b/with slash"], Delete()).startswith("deleted")
    assert after_transfer(source, entries["a"], Keep()).startswith("kept")
    assert set(api.state.packages) == {"a"}
    assert ("DELETE", "/api/packages/b%2Fwith%20slash") in api.state.requests
    with pytest.raises(SourceError, match="cannot archive"):
        source.archive("a", "anywhere")


def test_a_package_removed_after_listing_is_gone(api: PullApi) -> None:
    api.put("g", "g.csv", b"soon gone")
    source = make(api)
    assert [e.path for e in source.list_entries()] == ["g"]
    api.drop("g")
    for action in (source.stat, source.open_read, source.remove):
        with pytest.raises(SourceEntryGoneError, match="'g' is gone"):
            action("g")


def test_bad_token_and_untrusted_certificate_are_refused(api: PullApi,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_PULL_WRONG", "wrong-token")
    with pytest.raises(SourceAuthError, match="refused the token") as info:
        make(api, token_env="PVT_TEST_PULL_WRONG").list_entries()
    assert "wrong-token" not in str(info.value)
    with pytest.raises(ServerIdentityError, match="does not verify"):
        make(api, ca=False).list_entries()
    assert not any(method == "DELETE" for method, _ in api.state.requests)


def test_bad_token_is_recorded_by_the_sensor(api: PullApi, intake_env: IntakeEnv,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_PULL_WRONG", "wrong-token")
    use_source(intake_env, api.source_yaml(after_transfer="delete",
                                           token_env="PVT_TEST_PULL_WRONG"))
    reason, messages = sensor_messages(intake_env)
    assert "refused the token" in reason
    assert [(m.kind, m.severity) for m in messages] == [("source_unavailable", "failure")]


def test_end_to_end_deletes_only_after_the_vault(api: PullApi, intake_env: IntakeEnv) -> None:
    use_source(intake_env, api.source_yaml(after_transfer="delete", token_env=TOKEN_ENV))
    payload = encrypted(intake_env, csv_bytes(GOOD_ROWS))
    api.put("pkg-1", "members_2026-11-01.csv.pgp", payload)
    intake = intake_env.intake()
    statuses = process_all(intake)
    assert list(statuses.values()) == ["delivered"]
    (key,) = statuses
    record = intake.ledger.get_file(key)
    assert record.raw_sha256 == hashlib.sha256(payload).hexdigest()
    assert intake.layout.vault_path(key).read_bytes() == payload
    assert len(read_daily(intake_env.out)) == len(GOOD_ROWS)
    assert api.state.packages == {}
    methods = [m for m, p in api.state.requests if p == "/api/packages/pkg-1"]
    assert "GET" in methods and methods[-1] == "DELETE" and methods.count("DELETE") == 1
    intake.close()


def test_a_gzip_bomb_is_stored_as_sent_never_inflated(api: PullApi, tmp_path: Path) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MB inflated
    api.put("bomb", "plain_bomb.csv", bomb, gzip=True)  # Content-Encoding: gzip on GET
    source = make(api)
    (entry,) = source.list_entries()
    assert entry.size == len(bomb) < 1024 * 1024
    received = receive(source, entry, tmp_path / "vault" / "bomb")
    source.close()
    assert received.bytes == len(bomb)
    assert (tmp_path / "vault" / "bomb").read_bytes() == bomb  # the raw gzip bytes, as listed
    assert api.state.accept_encodings == ["identity"]
