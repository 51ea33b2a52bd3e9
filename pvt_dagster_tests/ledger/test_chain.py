"""The manifest chain: appends link up, and tampering or deletion is caught."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from pvt_dagster.ledger import GENESIS, Ledger, canonical_json, event_hash
from pvt_dagster_tests.ledger.helpers import T0, new_file


def _append(ledger: Ledger, key: str, n: int) -> None:
    for i in range(n):
        ledger.append_event(
            key, stage="raw" if i == 0 else "decrypted", action=f"step{i}",
            input_sha256="a" * 64, output_sha256="b" * 64, bytes=100 + i, rows=i or None,
            started_at=T0 + timedelta(seconds=i),
            finished_at=T0 + timedelta(seconds=i, milliseconds=5),
            details={"n": i, "at": T0, "nested": {"z": 1, "a": [1.5, None]}},
        )


def _sql(ledger: Ledger, statement: str, **params: object) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_canonical_json_is_sorted_compact_and_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert canonical_json({"b": 1, "a": datetime(2024, 5, 1, 14, 0, tzinfo=plus2)}) == \
        '{"a":"2024-05-01T12:00:00.000000Z","b":1}'
    fields = {"key": "k", "seq": 1, "prev_hash": GENESIS}
    assert event_hash(fields) == hashlib.sha256(canonical_json({
        **dict.fromkeys(("stage", "action", "input_sha256", "output_sha256", "bytes", "rows",
                         "started_at", "finished_at", "outcome", "error", "details")),
        **fields}).encode()).hexdigest()


def test_append_links_events_and_verifies(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 3)
    events = ledger.events(key)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[0].details["at"] == "2024-05-01T12:30:45.000000Z"
    assert events[0].started_at == T0 and events[0].started_at.tzinfo is UTC
    record = ledger.get_file(key)
    assert (record.chain_head, record.event_count) == (events[-1].hash, 3)
    assert ledger.verify_chains() == []


def test_error_events_are_one_line(ledger: Ledger) -> None:
    key = new_file(ledger).key
    event = ledger.append_event(key, stage="raw", action="receive", started_at=T0,
                                finished_at=T0, outcome="error", error="boom\n  at line 3")
    assert (event.outcome, event.error) == ("error", "boom at line 3")
    with pytest.raises(ValueError, match="outcome"):
        ledger.append_event(key, stage="raw", action="x", started_at=T0, finished_at=T0,
                            outcome="meh")
    assert ledger.verify_chains() == []


@pytest.mark.parametrize("column,value", [("bytes", 999), ("action", "forged"),
                                          ("output_sha256", "c" * 64)])
def test_tampered_field_names_the_file(ledger: Ledger, column: str, value: object) -> None:
    clean = new_file(ledger, name="clean.csv").key
    key = new_file(ledger).key
    _append(ledger, clean, 2)
    _append(ledger, key, 3)
    _sql(ledger, f"UPDATE manifest_events SET {column} = :v WHERE seq = 2 AND file_id = "
                 "(SELECT id FROM files WHERE key = :k)", v=value, k=key)
    problems = ledger.verify_chains()
    assert problems and {p.key for p in problems} == {key}
    assert any(p.seq == 2 and "hash" in p.problem for p in problems)
    assert key in str(problems[0])


def test_tampered_details_are_caught(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 2)
    _sql(ledger, "UPDATE manifest_events SET details = :d WHERE seq = 1", d='{"n": 7}')
    assert [(p.key, p.seq) for p in ledger.verify_chains()] == [(key, 1)]


def test_deleted_last_event_is_caught(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 3)
    _sql(ledger, "DELETE FROM manifest_events WHERE seq = 3")
    problems = ledger.verify_chains()
    assert problems and all(p.key == key for p in problems)
    assert any("deleted" in p.problem for p in problems)


def test_deleted_middle_event_is_caught(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 3)
    _sql(ledger, "DELETE FROM manifest_events WHERE seq = 2")
    problems = ledger.verify_chains()
    assert any(p.seq == 3 for p in problems) and all(p.key == key for p in problems)


def test_forged_chain_head_is_caught(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 1)
    _sql(ledger, "UPDATE files SET chain_head = :h", h="f" * 64)
    assert [p.problem for p in ledger.verify_chains()] == [
        "chain head does not match the last event"]


def test_verify_only_some_keys(ledger: Ledger) -> None:
    key = new_file(ledger).key
    _append(ledger, key, 1)
    assert ledger.verify_chains([key]) == []
    assert [p.problem for p in ledger.verify_chains(["acme/x/y"])] == ["no such file"]
