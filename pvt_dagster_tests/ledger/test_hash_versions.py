"""Event names and hash versions (migration 0003): events written before the migration keep
verifying over the fields they were hashed with, new events also hash their input and output
names, and neither the names nor the version can be changed without breaking the chain."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import text

from pvt_dagster.ledger import Ledger
from pvt_dagster.ledger.chain import GENESIS, HASHED_FIELDS, event_hash
from pvt_dagster.ledger.migrate import alembic_config
from pvt_dagster_tests.ledger.helpers import T0, new_file


def _sql(ledger: Ledger, statement: str, **params: object) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_new_events_hash_their_names(ledger: Ledger) -> None:
    record = new_file(ledger)
    event = ledger.append_event(record.key, stage="decrypted", action="decrypt",
                                input_name="vault/k", output_name="work/decrypted/k",
                                output_sha256="c" * 64, started_at=T0, finished_at=T0)
    assert (event.hash_version, event.input_name, event.output_name) == (
        2, "vault/k", "work/decrypted/k")
    assert ledger.verify_chains() == []
    _sql(ledger, "UPDATE manifest_events SET output_name = 'work/elsewhere'")
    (problem,) = ledger.verify_chains()
    assert problem.key == record.key and "hash mismatch" in problem.problem
    _sql(ledger, "UPDATE manifest_events SET output_name = 'work/decrypted/k', hash_version = 1")
    assert ledger.verify_chains() != []  # passing a v2 event off as v1 breaks its hash


def test_events_from_before_the_migration_still_verify(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    with ledger.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001_initial")
    fields = {"key": "acme/members/old", "seq": 1, "stage": "raw", "action": "receive",
              "input_sha256": None, "output_sha256": "a" * 64, "bytes": 10, "rows": None,
              "started_at": T0, "finished_at": T0 + timedelta(seconds=1), "outcome": "ok",
              "error": None, "details": {}, "prev_hash": GENESIS}
    assert set(fields) == set(HASHED_FIELDS)
    digest = event_hash(fields)
    with ledger.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO files (id, key, client, feed, source, name, path, size, mtime, status,"
            " discovered_at, updated_at, chain_head, event_count, metrics, run_seq) VALUES "
            "(1, 'acme/members/old', 'acme', 'members', 'drop', 'old.csv', 'old.csv', 10, 0,"
            " 'received', :t, :t, :h, 1, '{}', 0)"), {"t": T0, "h": digest})
        conn.execute(text(
            "INSERT INTO manifest_events (file_id, seq, stage, action, output_sha256, bytes,"
            " started_at, finished_at, outcome, details, prev_hash, hash) VALUES (1, 1, 'raw',"
            " 'receive', :o, 10, :s, :f, 'ok', '{}', :p, :h)"),
            {"o": "a" * 64, "s": T0, "f": T0 + timedelta(seconds=1), "p": GENESIS,
             "h": digest})
    ledger.upgrade()
    (old,) = ledger.events("acme/members/old")
    assert (old.hash_version, old.input_name, old.output_name) == (1, None, None)
    assert ledger.verify_chains() == []
    new = ledger.append_event("acme/members/old", stage="decrypted", action="decrypt",
                              input_name="vault/acme/members/old", started_at=T0,
                              finished_at=T0)
    assert new.hash_version == 2 and new.prev_hash == digest
    assert ledger.verify_chains() == []
    ledger.close()
