"""The table target under faults: it never writes into the ledger database unless told to, it
never holds one write transaction across a whole file (other writers of the database go on
while a large file loads), and concurrent deliveries of one file on PostgreSQL never double
its rows."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pvt_dagster.cli.config_check import check_config
from pvt_dagster.delivery import deliver_table
from pvt_dagster_tests.config.samples import MINIMAL, write_config

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _csv(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("member_id,state,plan\n")
        for i in range(rows):
            fh.write(f"{i},CA,gold-{i % 7}\n")
    return path


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("target", ["{kind: table, table: members}",
                                    "{kind: table, table: members, url: 'LEDGER'}"])
def test_table_in_the_ledger_database_is_a_config_error(tmp_path: Path, target: str) -> None:
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    text_ = f"ledger: {{url: '{ledger}'}}\n" + MINIMAL
    line = f"          - {target.replace('LEDGER', ledger)}\n"
    report = check_config(write_config(tmp_path, text_ + line))
    messages = " ".join(i.message for i in report.errors)
    assert "would write into the ledger database" in messages
    assert "allow_ledger_database: true" in messages
    allowed = line.replace("table: members", "table: members, allow_ledger_database: true")
    assert check_config(write_config(tmp_path, text_ + allowed)).errors == []


def test_other_writers_go_on_while_a_large_file_loads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    src = _csv(tmp_path / "big.csv", 150_000)
    other = create_engine(url, connect_args={"timeout": 60})
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE ticks (at REAL)"))
    waits: list[float] = []
    loading = threading.Event()
    done = threading.Event()

    def writer() -> None:
        loading.wait()
        while not done.is_set():
            started = time.monotonic()
            with other.begin() as conn:
                conn.exec_driver_sql("INSERT INTO ticks VALUES (1)")
            waits.append(time.monotonic() - started)
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        loading.set()
        started = time.monotonic()
        load = deliver_table(src, url=url, client="acme", table="big", file_key="k",
                             loaded_at=NOW, chunk_rows=2000)
        took = time.monotonic() - started
    finally:
        done.set()
        thread.join()
        other.dispose()
    assert load.rows == 150_000 and _count(url, "acme__big") == 150_000
    assert len(waits) >= 10, waits  # the writer went on during the load
    assert max(waits) < took / 2, (max(waits), took)


@pytest.mark.postgres
def test_concurrent_deliveries_of_one_file_never_double_its_rows(
        _ledger_pg_database: tuple[str | None, str], tmp_path: Path) -> None:
    url, reason = _ledger_pg_database
    if url is None:
        pytest.skip(reason)
    src = _csv(tmp_path / "m.csv", 3000)
    for round_no in range(3):
        load_once = partial(deliver_table, src, url=url, client="acme",
                            table=f"conc{round_no}", file_key="acme/members/one",
                            loaded_at=NOW, chunk_rows=500)
        if round_no:  # the table exists: the loads race on its rows only
            assert load_once().rows == 3000
        with ThreadPoolExecutor(4) as pool:
            loads = [f.result() for f in [pool.submit(load_once) for _ in range(4)]]
        assert all(load.rows == 3000 for load in loads)
        assert _count(url, f'"acme"."conc{round_no}"') == 3000
        expected = [3000] * 4 if round_no else [0, 3000, 3000, 3000]
        assert sorted(load.replaced for load in loads) == expected
