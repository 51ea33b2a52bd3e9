"""A feed with 100,000 file partitions, the ledger and the Dagster instance on PostgreSQL
(throwaway databases at 127.0.0.1:5432): a discovery tick that finds 100 new files (the
sensor's whole evaluation, the new dynamic partitions added as the daemon adds them) and
``pvt files --feed`` on the feed (in its own process, as a user runs it, and in-process), each
against a bare ``SELECT`` of the feed's rows with psycopg. Goals: the tick under 2 s, ``pvt
files --feed`` under 1 s. ``PVT_BENCH_SCALE_FILES`` sets the number of partitions."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import psycopg
from sqlalchemy import create_engine, insert

from bench.common import Ratio, timed
from pvt_dagster.cli import main as pvt_main
from pvt_dagster.defs.location import build_location
from pvt_dagster.defs.names import discovery_sensor_name
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.ledger.models import File
from pvt_dagster.naming import partition_key
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.support.servers.postgres import (
    PgDatabase,
    PostgresMissing,
    throwaway_database,
)

FILES = int(os.environ.get("PVT_BENCH_SCALE_FILES", "100000"))
NEW = 100
BATCH = 10_000
INSTANCE_YAML = """\
storage:
  postgres:
    postgres_db:
      hostname: {host}
      port: {port}
      username: {user}
      password: "{password}"
      db_name: {name}
      scheme: postgresql+psycopg2
telemetry: {{enabled: false}}
"""


def _config(root: Path, ledger: PgDatabase) -> Path:
    path = root / "pvt.yaml"
    (root / "drop").mkdir()
    path.write_text(
        f"home: {root / 'home'}\nledger: {{url: \"{ledger.sqlalchemy_url}\"}}\n"
        "clients:\n  acme:\n    sources:\n"
        f"      drop: {{kind: local, path: {root / 'drop'}, after_transfer: delete}}\n"
        "    polling: {interval_seconds: 1, quiesce_seconds: 0}\n"
        "    feeds:\n      claims:\n        source: drop\n        pattern: 'claims_*.csv'\n"
        "        decrypt: none\n")
    return path


def _seed_ledger(intake: Intake, count: int) -> None:
    """``count`` delivered files of acme/claims, inserted in batches (as years of intake)."""
    _ = intake.ledger  # migrated
    engine = create_engine(intake.config.ledger_url)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            for first in range(0, count, BATCH):
                rows = []
                for n in range(first, min(first + BATCH, count)):
                    seen = start + timedelta(minutes=n)
                    rows.append({
                        "key": f"acme/claims/{seen:%Y%m%dT%H%M%SZ}-claims-{n:06d}-csv",
                        "client": "acme", "feed": "claims", "source": "drop",
                        "name": f"claims_{n:06d}.csv", "path": f"claims_{n:06d}.csv",
                        "size": 1000, "mtime": seen.timestamp(), "status": "delivered",
                        "stage": "delivered", "raw_sha256": f"{n:064x}", "bytes": 1000,
                        "rows": 10, "discovered_at": seen, "received_at": seen,
                        "updated_at": seen, "event_count": 6, "metrics": {}, "run_seq": 0,
                        "auto_retries": 0})
                conn.execute(insert(File), rows)
    finally:
        engine.dispose()


def _seed_partitions(instance: dg.DagsterInstance, intake: Intake) -> None:
    """One dynamic partition per seeded file, as the discovery sensor added them."""
    keys = [partition_key(r.key) for r in intake.ledger.list_files(feed="claims")]
    for first in range(0, len(keys), BATCH):
        instance.add_dynamic_partitions("acme__claims", keys[first:first + BATCH])


def _tick(instance: dg.DagsterInstance, config: Path, sensor: dg.SensorDefinition) -> int:
    """One evaluation of the discovery sensor, with its partition requests applied; the
    number of runs it requested."""
    with dg.build_sensor_context(
            instance=instance, sensor_name=sensor.name,
            resources={"pvt": PvtIntakeResource(config_path=str(config))}) as context:
        result = sensor(context)
    if not isinstance(result, dg.SensorResult):
        return 0
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, dg.AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name,
                                            list(request.partition_keys))
    return len(result.run_requests or [])


def _bare_select(ledger: PgDatabase) -> int:
    """The feed's rows with psycopg, nothing else: the floor any listing stands on."""
    url = ledger.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        rows = conn.execute("SELECT * FROM files WHERE client = %s AND feed = %s "
                            "ORDER BY discovered_at, id", ("acme", "claims")).fetchall()
    return len(rows)


def _pvt_files_process(config: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "pvt"), "--config", str(config),
                           "files", "--feed", "acme/claims"], capture_output=True, check=True,
                          timeout=120)
    seconds = time.perf_counter() - started
    assert f"{FILES + NEW} file(s)" in done.stdout.decode(), done.stdout[-300:]
    return seconds


def _pvt_files_in_process(config: Path) -> float:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _, seconds = timed(lambda: pvt_main(["--config", str(config), "files", "--feed",
                                             "acme/claims"]))
    return seconds


def run() -> list[Ratio]:
    """Seed, then time a tick with 100 new files and ``pvt files --feed``."""
    try:
        with throwaway_database("pvt_bench_ledger") as ledger, \
                throwaway_database("pvt_bench_instance") as instance_db, \
                tempfile.TemporaryDirectory(prefix="pvt-bench-scale-") as tmp:
            return _measure(Path(tmp), ledger, instance_db)
    except PostgresMissing as exc:
        print(f"skipped: {exc}")
        return []


def _measure(root: Path, ledger: PgDatabase, instance_db: PgDatabase) -> list[Ratio]:
    config = _config(root, ledger)
    home = root / "dagster_home"
    home.mkdir()
    env = instance_db.env()
    (home / "dagster.yaml").write_text(INSTANCE_YAML.format(
        host=env["PVT_DAGSTER_PG_HOST"], port=env["PVT_DAGSTER_PG_PORT"],
        user=env["PVT_DAGSTER_PG_USER"], password=env["PVT_DAGSTER_PG_PASSWORD"],
        name=instance_db.name))
    intake = Intake.from_path(config)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        started = time.perf_counter()
        _seed_ledger(intake, FILES)
        _seed_partitions(instance, intake)
        print(f"seeded {FILES:,} files and partitions in {time.perf_counter() - started:.1f} s",
              flush=True)
        sensor = build_location(intake.config).get_sensor_def(
            discovery_sensor_name("acme", "drop"))
        for n in range(NEW):
            (root / "drop" / f"claims_new_{n:03d}.csv").write_bytes(b"ssn\n1\n")
        observed, first = timed(lambda: _tick(instance, config, sensor))
        requested, second = timed(lambda: _tick(instance, config, sensor))
        assert observed == 0 and requested == NEW, (observed, requested)
        count, bare = timed(lambda: _bare_select(ledger))
        assert count == FILES + NEW, count
        print(f"tick that sees {NEW} new files: {first:.2f} s; tick that requests their "
              f"runs: {second:.2f} s; bare SELECT of the feed's {count:,} rows: {bare:.2f} s")
        process = min(_pvt_files_process(config) for _ in range(3))
        in_process = min(_pvt_files_in_process(config) for _ in range(3))
        bare = min(timed(lambda: _bare_select(ledger))[1] for _ in range(3))
    finally:
        instance.dispose()
        intake.close()
    return [
        Ratio(f"discovery tick with {NEW} new files (of {FILES:,})", max(first, second),
              bare, "s", "under 2 s"),
        Ratio("pvt files --feed, its own process", process, bare, "s", "under 1 s"),
        Ratio("pvt files --feed, in-process", in_process, bare, "s", "report only"),
    ]
