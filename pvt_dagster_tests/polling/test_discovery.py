"""Discovery over an in-memory source: quiescence, unmatched, unsafe entries, redelivery."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import pytest

from pvt_dagster.config.models import ClientConfig
from pvt_dagster.errors import SourceEntryGoneError
from pvt_dagster.ledger import Ledger
from pvt_dagster.polling import PollResult, poll_source
from pvt_dagster.sources.base import EntryKind, RemoteEntry, Source

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class FakeSource:
    """A Source over a dict of path -> (bytes, mtime, kind); counts reads and listings."""

    name = "drop"

    def __init__(self) -> None:
        self.entries: dict[str, tuple[bytes, float, EntryKind]] = {}
        self.listings = 0
        self.reads: list[str] = []

    def put(self, path: str, data: bytes = b"a,b\n1,2\n", mtime: float = 1000.0,
            kind: EntryKind = "file") -> None:
        self.entries[path] = (data, mtime, kind)

    def _entry(self, path: str) -> RemoteEntry:
        data, mtime, kind = self.entries[path]
        return RemoteEntry(path=path, name=path.rsplit("/", 1)[-1], size=len(data),
                           mtime=mtime, kind=kind)

    def list_entries(self) -> list[RemoteEntry]:
        self.listings += 1
        return [self._entry(p) for p in self.entries]

    def stat(self, path: str) -> RemoteEntry:
        if path not in self.entries:
            raise SourceEntryGoneError(path)
        return self._entry(path)

    @contextmanager
    def open_read(self, path: str) -> Iterator[BinaryIO]:
        self.reads.append(path)
        yield io.BytesIO(self.entries[path][0])

    def remove(self, path: str) -> None:
        del self.entries[path]

    def archive(self, path: str, destination: str) -> str:
        new = f"{destination}/{path}"
        self.entries[new] = self.entries.pop(path)
        return new

    def close(self) -> None:
        pass


def _config(unmatched: str = "report", quiesce: int = 60, **constraints: Any) -> ClientConfig:
    return ClientConfig.model_validate({
        "constraints": {"min_bytes": 1, **constraints},
        "sources": {"drop": {"kind": "local", "path": "/in", "after_transfer": "delete",
                             "unmatched": unmatched}},
        "polling": {"quiesce_seconds": quiesce},
        "feeds": {"members": {"source": "drop", "pattern": "members_*.csv",
                              "decrypt": "none"}},
    })


class Poller:
    """Polls the fake source at chosen minutes after T0."""

    def __init__(self, ledger: Ledger, source: FakeSource, config: ClientConfig) -> None:
        self.ledger, self.source, self.config = ledger, source, config

    def at(self, minutes: float) -> PollResult:
        return poll_source(ledger=self.ledger, client="acme", client_config=self.config,
                           source_name="drop", source=self.source,
                           now=T0 + timedelta(minutes=minutes))


@pytest.fixture
def src() -> FakeSource:
    return FakeSource()


@pytest.fixture
def poller(ledger: Ledger, src: FakeSource) -> Poller:
    return Poller(ledger, src, _config())


def test_fake_source_implements_the_protocol(src: FakeSource) -> None:
    assert isinstance(src, Source)


def test_new_file_is_ready_after_two_observations_and_quiesce(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    first = poller.at(0)
    assert (first.listed, len(first.new), first.ready, first.waiting) == (1, 1, [], 1)
    record = first.new[0]
    assert record.key == "acme/members/20240501T090000Z-members_1.csv"
    assert (record.status, record.feed, record.size) == ("discovered", "members", 8)
    assert poller.at(0.5).ready == []  # seen twice, but not for 60 s yet
    ready = poller.at(1).ready
    assert [r.key for r in ready] == [record.key]
    again = poller.at(2)  # still no run: offered again (the sensor dedups by run_key)
    assert [r.key for r in again.ready] == [record.key] and again.new == []
    assert src.listings == 4 and src.reads == []
    assert len(ledger.list_files()) == 1


def test_growing_file_is_never_ready(poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    for minute in range(6):
        src.put("members_1.csv", b"x" * (minute + 1), mtime=1000.0 + minute)
        result = poller.at(minute * 5)
        assert result.ready == [] and result.waiting == 1
    (record,) = ledger.list_files()
    assert (record.size, record.mtime) == (6, 1005.0)  # the row follows the growth
    assert poller.at(25.5).ready == []  # seen twice at the final size, but only for 30 s
    assert [r.key for r in poller.at(26).ready] == [record.key]


def test_mtime_change_alone_resets_stability(poller: Poller, src: FakeSource) -> None:
    src.put("members_1.csv")
    poller.at(0)
    src.put("members_1.csv", mtime=2000.0)
    assert poller.at(5).ready == []
    assert len(poller.at(6).ready) == 1


def test_unmatched_is_recorded_once(poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("readme.txt")
    first = poller.at(0)
    (rejected,) = first.rejected
    assert (rejected.feed, rejected.status, rejected.error) == (None, "rejected",
                                                                "matches no feed")
    assert rejected.key.startswith("acme/_unmatched/")
    for minute in (1, 2, 3):
        result = poller.at(minute)
        assert result.rejected == [] and result.new == [] and result.ready == []
    assert len(ledger.list_files()) == 1 and src.reads == []


def test_unmatched_ignored(ledger: Ledger, src: FakeSource) -> None:
    poller = Poller(ledger, src, _config(unmatched="ignore"))
    src.put("readme.txt")
    src.put("subdir", b"", kind="dir")
    assert poller.at(0).rejected == [] and poller.at(5).rejected == []
    assert ledger.list_files() == []


@pytest.mark.parametrize("kind,reason", [("symlink", "symlink: not read"),
                                         ("fifo", "FIFO: not read"),
                                         ("dir", "folder: not read"),
                                         ("device", "device: not read")])
def test_non_regular_entries_rejected_once(poller: Poller, src: FakeSource, ledger: Ledger,
                                           kind: EntryKind, reason: str) -> None:
    src.put("members_link.csv", kind=kind)
    (rejected,) = poller.at(0).rejected
    assert (rejected.status, rejected.error, rejected.feed) == ("rejected", reason, "members")
    for minute in (1, 2, 5):
        assert poller.at(minute).rejected == [] and poller.at(minute).ready == []
    assert len(ledger.list_files()) == 1 and src.reads == []


def test_file_replaced_by_symlink_while_waiting_is_rejected(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    poller.at(0)
    src.put("members_1.csv", kind="symlink")
    (rejected,) = poller.at(1).rejected
    assert rejected.error == "symlink: not read"
    assert poller.at(5).ready == [] and len(ledger.list_files()) == 1


def test_ingested_file_still_there_is_not_ingested_again(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    poller.at(0)
    (ready,) = poller.at(1).ready
    ledger.update_file(ready.key, status="delivered", stage="delivered", received_at=T0)
    for minute in (2, 3, 10):
        result = poller.at(minute)
        assert (result.new, result.ready, result.rejected) == ([], [], [])
    assert len(ledger.list_files()) == 1


def test_changed_after_ingestion_is_a_new_delivery(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    poller.at(0)
    (ready,) = poller.at(1).ready
    ledger.update_file(ready.key, status="received", stage="raw", received_at=T0)
    src.put("members_1.csv", b"a,b\n3,4\n5,6\n", mtime=5000.0)
    result = poller.at(2)
    (new,) = result.new
    assert new.key != ready.key and new.key.endswith("T090200Z-members_1.csv")
    assert poller.at(2.5).ready == []
    assert [r.key for r in poller.at(3).ready] == [new.key]
    assert ledger.get_file(ready.key).status == "received"


def test_empty_file_rejected_when_ready_and_left_alone(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_empty.csv", b"")
    assert poller.at(0).rejected == []
    result = poller.at(1)
    (rejected,) = result.rejected
    assert (rejected.status, rejected.error) == ("rejected", "empty file (0 bytes)")
    assert result.ready == [] and "members_empty.csv" in src.entries
    assert poller.at(2).rejected == [] and len(ledger.list_files()) == 1


def test_too_large_rejected(ledger: Ledger, src: FakeSource) -> None:
    poller = Poller(ledger, src, _config(max_bytes=4))
    src.put("members_big.csv", b"12345")
    poller.at(0)
    (rejected,) = poller.at(1).rejected
    assert rejected.error == "too large: 5 bytes, the limit is 4 bytes"


def test_max_files_per_poll(ledger: Ledger, src: FakeSource) -> None:
    poller = Poller(ledger, src, _config(max_files_per_poll=2))
    for i in range(5):
        src.put(f"members_{i}.csv")
    poller.at(0)
    result = poller.at(1)
    assert len(result.ready) == 2 and result.waiting == 3
    first_two = [r.key for r in result.ready]
    for record in result.ready:
        ledger.update_file(record.key, status="received", stage="raw", received_at=T0)
    nxt = poller.at(2)
    assert len(nxt.ready) == 2 and not {r.key for r in nxt.ready} & set(first_two)
    assert nxt.waiting == 1


def test_vanished_before_transfer(poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    (new,) = poller.at(0).new
    del src.entries["members_1.csv"]
    (rejected,) = poller.at(1).rejected
    assert rejected.key == new.key
    assert rejected.error == "disappeared from the source before transfer"
    obs = ledger.observations("acme", "drop")["members_1.csv"]
    assert obs.gone_at == T0 + timedelta(minutes=1)
    assert poller.at(2).rejected == []
    src.put("members_1.csv")  # it comes back: a new delivery
    (again,) = poller.at(3).new
    assert again.key != new.key


def test_gone_after_transfer_is_not_an_error(
        poller: Poller, src: FakeSource, ledger: Ledger) -> None:
    src.put("members_1.csv")
    poller.at(0)
    (ready,) = poller.at(1).ready
    ledger.update_file(ready.key, status="received", stage="raw", received_at=T0)
    src.remove("members_1.csv")
    assert poller.at(2).rejected == []
    assert ledger.get_file(ready.key).status == "received"


def test_a_feed_added_later_picks_up_an_unmatched_file(ledger: Ledger, src: FakeSource) -> None:
    src.put("claims_1.csv")
    Poller(ledger, src, _config()).at(0)
    config = ClientConfig.model_validate({
        **_config().model_dump(mode="json", exclude={"feeds"}),
        "feeds": {"claims": {"source": "drop", "pattern": "claims_*", "decrypt": "none"}},
    })
    later = Poller(ledger, src, config)
    (new,) = later.at(1).new
    assert new.feed == "claims"
    assert [r.key for r in later.at(2).ready] == [new.key]


def test_observations_live_in_the_ledger(ledger: Ledger, src: FakeSource) -> None:
    src.put("members_1.csv")
    Poller(ledger, src, _config()).at(0)
    # A fresh poller (as after a reset sensor cursor) sees the same history: nothing new.
    result = Poller(ledger, src, _config()).at(1)
    assert result.new == [] and len(result.ready) == 1
    obs = ledger.observations("acme", "drop")["members_1.csv"]
    assert (obs.seen_count, obs.stable_since, obs.file_key) == (2, T0, result.ready[0].key)
