"""File rows: keys, look-ups, updates, compare-and-set and duplicate detection."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pvt_dagster.errors import UnknownFileError
from pvt_dagster.ledger import Ledger
from pvt_dagster_tests.ledger.helpers import T0, new_file

KEY = re.compile(r"^acme/members/20240501T123045Z-members_1\.csv\.pgp$")


def test_create_assigns_the_documented_key(ledger: Ledger) -> None:
    record = new_file(ledger)
    assert KEY.match(record.key)
    assert record.vault_slug == "20240501T123045Z-members_1.csv.pgp"
    assert (record.status, record.stage, record.event_count, record.chain_head) == (
        "discovered", None, 0, None)
    assert record.discovered_at == T0 and record.discovered_at.tzinfo is not None
    assert record.updated_at.utcoffset() == timedelta(0)
    assert ledger.get_file(record.key) == record


def test_key_clash_gets_a_numeric_suffix(ledger: Ledger) -> None:
    keys = [new_file(ledger).key for _ in range(3)]
    assert keys[1] == keys[0] + "-2" and keys[2] == keys[0] + "-3"


def test_unmatched_files_use_the_unmatched_segment(ledger: Ledger) -> None:
    record = new_file(ledger, feed=None, status="rejected", error="matches no feed")
    assert record.key.startswith("acme/_unmatched/20240501T123045Z-")
    assert (record.feed, record.status, record.error) == (None, "rejected", "matches no feed")


def test_first_seen_in_another_zone_is_stored_in_utc(ledger: Ledger) -> None:
    plus2 = timezone(timedelta(hours=2))
    record = new_file(ledger, first_seen=datetime(2024, 5, 1, 14, 30, 45, tzinfo=plus2))
    assert KEY.match(record.key)
    assert ledger.get_file(record.key).discovered_at == T0


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="timezone"):
        new_file(ledger, first_seen=datetime(2024, 5, 1))


def test_hostile_names_are_kept_but_keys_are_safe(ledger: Ledger) -> None:
    names = ["../../etc/passwd", "a...b", "bell\x07\nline", "x" * 1000 + ".csv",
             "café résumé.csv", "with  spaces .csv", "...", "-rf"]
    for name in names:
        record = new_file(ledger, name=name)
        assert record.name == name
        slug = record.key.split("/", 2)[2]
        assert re.fullmatch(r"[A-Za-z0-9._-]+", slug), slug
        assert "..." not in record.key and ".." not in slug
        assert len(slug) <= len("20240501T123045Z-") + 80


def test_concurrent_creates_get_distinct_keys(ledger: Ledger) -> None:
    keys: list[str] = []
    errors: list[BaseException] = []

    def create() -> None:
        try:
            keys.append(new_file(ledger).key)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(keys)) == 6


def test_unknown_key(ledger: Ledger) -> None:
    assert ledger.find_file("acme/members/nope") is None
    with pytest.raises(UnknownFileError):
        ledger.get_file("acme/members/nope")
    with pytest.raises(UnknownFileError):
        ledger.update_file("acme/members/nope", status="failed")


def test_update_sets_fields_and_updated_at(ledger: Ledger) -> None:
    record = new_file(ledger)
    received = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    updated = ledger.update_file(record.key, status="received", stage="raw", bytes=100,
                                 raw_sha256="a" * 64, received_at=received,
                                 error="line one\nline two", metrics={"raw": {"seconds": 1.5}})
    assert (updated.status, updated.stage, updated.bytes) == ("received", "raw", 100)
    assert updated.error == "line one line two"
    assert updated.received_at == received
    assert updated.metrics == {"raw": {"seconds": 1.5}}
    assert updated.updated_at >= record.updated_at
    assert ledger.get_file(record.key) == updated


def test_update_refuses_unknown_fields_and_values(ledger: Ledger) -> None:
    record = new_file(ledger)
    with pytest.raises(ValueError, match="chain_head"):
        ledger.update_file(record.key, chain_head="0" * 64)
    with pytest.raises(ValueError, match="status"):
        ledger.update_file(record.key, status="done")
    with pytest.raises(ValueError, match="stage"):
        ledger.update_file(record.key, stage="cooked")


def test_transition_only_from_the_expected_status(ledger: Ledger) -> None:
    record = new_file(ledger)
    assert ledger.transition_file(record.key, from_status="received", status="failed") is None
    moved = ledger.transition_file(record.key, from_status=("discovered", "on_hold"),
                                   status="rejected", error="gone")
    assert moved is not None and moved.status == "rejected"


def test_list_files_filters_and_orders(ledger: Ledger) -> None:
    late = new_file(ledger, name="b.csv", first_seen=T0 + timedelta(minutes=5))
    early = new_file(ledger, name="a.csv")
    other = new_file(ledger, name="c.csv", feed="claims", source="sftp")
    ledger.update_file(other.key, status="failed")
    assert [r.key for r in ledger.list_files()] == [early.key, other.key, late.key]
    assert [r.key for r in ledger.list_files(feed="members")] == [early.key, late.key]
    assert [r.key for r in ledger.list_files(status="failed")] == [other.key]
    assert [r.key for r in ledger.list_files(status=["failed", "discovered"], source="sftp")] \
        == [other.key]
    assert ledger.list_files(client="other") == []
    assert set(ledger.files_by_key([early.key, "x/y/z"])) == {early.key}


def test_find_delivered_duplicate(ledger: Ledger) -> None:
    sha = "b" * 64
    first = new_file(ledger, name="one.csv")
    second = new_file(ledger, name="two.csv")
    rejected = new_file(ledger, name="three.csv")
    ledger.update_file(rejected.key, raw_sha256=sha, status="rejected")
    assert ledger.find_delivered_duplicate("acme", "members", sha, exclude_key=second.key) is None
    ledger.update_file(first.key, raw_sha256=sha, status="delivered")
    ledger.update_file(second.key, raw_sha256=sha, status="received")
    found = ledger.find_delivered_duplicate("acme", "members", sha, exclude_key=second.key)
    assert found is not None and found.key == first.key
    assert ledger.find_delivered_duplicate("acme", "claims", sha, exclude_key=second.key) is None


def test_list_file_lines_are_list_files_in_few_columns(ledger: Ledger) -> None:
    late = new_file(ledger, name="b.csv", first_seen=T0 + timedelta(minutes=5))
    early = new_file(ledger, name="a.csv")
    other = new_file(ledger, name="c.csv", feed="claims", source="sftp")
    ledger.update_file(other.key, status="failed", stage="validated", rows=3, error="bad")
    for filters in ({}, {"feed": "members"}, {"status": "failed"}, {"client": "acme"},
                    {"status": ["failed", "discovered"]}, {"client": "other"}):
        assert ledger.list_file_lines(**filters) == [  # type: ignore[arg-type]
            (r.key, r.status, r.stage, r.rows, r.error) for r in ledger.list_files(**filters)]
    lines = ledger.list_file_lines()
    assert [line.key for line in lines] == [early.key, other.key, late.key]
    assert lines[1] == (other.key, "failed", "validated", 3, "bad")
    assert lines[1].error == "bad" and lines[0].stage is None
