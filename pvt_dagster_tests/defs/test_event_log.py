"""Holding a run's SQLite event-log shards open: the write-ahead log stays between events
(instead of a checkpoint and delete at every event), every event is still stored, and other
storages are left alone."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.test_utils import create_run_for_test

from pvt_dagster.defs.event_log import HeldEventLog


def test_a_held_run_shard_keeps_its_log_between_events(tmp_path: Path) -> None:
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        run = create_run_for_test(instance, job_name="j")
        instance.report_engine_event("before", run)
        wal = Path(instance.event_log_storage.path_for_shard(run.run_id) + "-wal")
        assert not wal.exists()  # Dagster closed its only connection: checkpointed, deleted
        held = HeldEventLog(instance, run.run_id)
        assert held.shards == 2  # the run's shard and the index
        instance.report_engine_event("while held", run)
        assert wal.exists()
        held.close()
        assert held.shards == 0
        assert not wal.exists()  # the last close checkpoints it into the database
        instance.report_engine_event("after", run)
        messages = [e.message for e in instance.all_logs(run.run_id)]
        assert messages[-3:] == ["before", "while held", "after"]


def test_nothing_is_held_without_a_run_or_a_sqlite_event_log() -> None:
    assert HeldEventLog(None, "run").shards == 0
    with dg.DagsterInstance.ephemeral() as instance:
        assert HeldEventLog(instance, "run").shards == 0
