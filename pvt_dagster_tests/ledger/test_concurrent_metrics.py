"""Metrics updates never lose writes: stages of one file that finish at once (threads, each
holding the file's record from before the others finished) all keep their metrics, on SQLite
and on the real PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pvt_dagster.domain import STAGES, Stage
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.progress import mark_done
from pvt_dagster_tests.ledger.helpers import new_file


def _finish(ledger: Ledger, stale: FileRecord, stage: Stage, start: threading.Barrier) -> None:
    start.wait()
    mark_done(ledger, stale, stage, metrics={"seconds": 1.0, "stage": stage})


def test_concurrent_stage_metrics_are_all_kept(ledger: Ledger) -> None:
    for n in range(5):
        key = new_file(ledger, name=f"members_{n}.csv.pgp").key
        stale = ledger.get_file(key)  # what each stage read before the others wrote
        start = threading.Barrier(len(STAGES))
        with ThreadPoolExecutor(len(STAGES)) as pool:
            for future in [pool.submit(_finish, ledger, stale, stage, start)
                           for stage in STAGES]:
                future.result()
        metrics = ledger.get_file(key).metrics
        assert set(metrics) == set(STAGES), metrics
        assert all(metrics[s]["stage"] == s for s in STAGES)


def test_concurrent_merges_of_many_keys(ledger: Ledger) -> None:
    key = new_file(ledger).key

    def merge(thread: int) -> None:
        for i in range(15):
            ledger.merge_file_metrics(key, {f"t{thread}_{i}": {"rows": i}})

    with ThreadPoolExecutor(6) as pool:
        for future in [pool.submit(merge, t) for t in range(6)]:
            future.result()
    assert len(ledger.get_file(key).metrics) == 6 * 15
