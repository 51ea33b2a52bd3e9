"""Delivery targets: the per-client SQL table (SQLite and the PostgreSQL at 127.0.0.1:5432
when it answers) loads a file in one transaction and a rerun replaces its rows, never doubles
them; S3 (moto's real S3 API) gets one object per file. Each delivery records rows, bytes and
seconds in the ledger, and every stage contributes metrics to ``pvt files --json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from pvt_dagster.cli import main
from pvt_dagster.delivery import deliver_table
from pvt_dagster.pipeline import run_delivered
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all
from pvt_dagster_tests.support.servers.moto_s3 import MotoS3
from pvt_dagster_tests.tracking.helpers import replace_deliver

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_bytes(csv_bytes(rows, header))
    return path


def _count(url: str, table: str, where: str = "") -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one())
    finally:
        engine.dispose()


def test_table_reruns_replace_rows_per_client(ledger_url: str, tmp_path: Path) -> None:
    pg = ledger_url.startswith("postgresql")
    acme = '"acme"."members"' if pg else '"acme__members"'
    beta = '"beta"."members"' if pg else '"beta__members"'
    first = _csv(tmp_path / "a.csv", ["ssn", "state"], [["123456789", "CA"]] * 5)
    for _ in range(2):  # a rerun replaces the file's rows
        load = deliver_table(first, url=ledger_url, client="acme", table="members",
                             file_key="acme/members/k1", loaded_at=NOW, chunk_rows=2)
        assert load.rows == 5 and load.bytes == first.stat().st_size
    assert load.replaced == 5
    assert _count(ledger_url, acme) == 5
    wider = _csv(tmp_path / "b.csv", ["ssn", "state", "zip"], [["1", "NY", "10001"]] * 2)
    deliver_table(wider, url=ledger_url, client="acme", table="members",
                  file_key="acme/members/k2", loaded_at=NOW)
    deliver_table(first, url=ledger_url, client="beta", table="members",
                  file_key="beta/members/k1", loaded_at=NOW)
    assert _count(ledger_url, acme) == 7
    assert _count(ledger_url, acme, "WHERE _pvt_key = 'acme/members/k2' AND zip = '10001'") == 2
    assert _count(ledger_url, beta) == 5  # isolated: another schema or prefix
    engine = create_engine(ledger_url)
    try:
        schema = "acme" if pg else None
        name = "members" if pg else "acme__members"
        columns = {c["name"]: str(c["type"]) for c in
                   inspect(engine).get_columns(name, schema=schema)}
    finally:
        engine.dispose()
    assert list(columns)[-1] == "zip" and "_pvt_loaded_at" in columns
    assert columns["ssn"].upper() == "TEXT"


def test_a_broken_file_leaves_the_table_as_it_was(ledger_url: str, tmp_path: Path) -> None:
    good = _csv(tmp_path / "a.csv", ["ssn"], [["1"], ["2"]])
    deliver_table(good, url=ledger_url, client="acme", table="t", file_key="k", loaded_at=NOW)
    broken = tmp_path / "b.csv"
    broken.write_text("ssn\n3\n4,extra\n")
    from pvt_dagster.errors import DeliveryError
    with pytest.raises(DeliveryError, match="line 3"):
        deliver_table(broken, url=ledger_url, client="acme", table="t", file_key="k",
                      loaded_at=NOW, chunk_rows=1)
    table = '"acme"."t"' if ledger_url.startswith("postgresql") else '"acme__t"'
    assert _count(ledger_url, table) == 2  # one transaction: the old rows are still there


def test_pipeline_delivers_to_table_and_csv_with_metrics(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    replace_deliver(intake_env, "          - {kind: table, table: members, "
                                "allow_ledger_database: true}\n"
                                "          - {kind: daily_csv, dir: out}\n")
    intake_env.drop_encrypted("members_t.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    try:
        (key,) = process_all(intake)
        run_delivered(intake, key, run_id="rerun")  # idempotent
        url = intake.config.ledger_url
        assert _count(url, '"acme__members"') == len(GOOD_ROWS)
        events = [e for e in intake.ledger.events(key) if e.action == "deliver:table"]
        assert len(events) == 2 and events[-1].rows == len(GOOD_ROWS)
        assert {"rows", "bytes", "seconds", "location"} <= set(events[-1].details)
    finally:
        intake.close()
    assert main(["--config", str(intake_env.config_path), "files", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    metrics = row["metrics"]
    for stage in ("raw", "decrypted", "validated", "scrubbed", "delivered"):
        assert isinstance(metrics[stage]["seconds"], float | int), stage
        assert "bytes" in metrics[stage] or "rows" in metrics[stage], stage
    assert metrics["delivered"]["rows"] == len(GOOD_ROWS)
    assert [t["kind"] for t in metrics["delivered"]["per_target"]] == ["table", "daily_csv"]


def test_pipeline_delivers_to_s3(intake_env: IntakeEnv, moto_s3: MotoS3,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = moto_s3.new_bucket()
    monkeypatch.setenv("PVT_TEST_S3_KEY", moto_s3.access_key_id)
    monkeypatch.setenv("PVT_TEST_S3_SECRET", moto_s3.secret_access_key)
    replace_deliver(intake_env, (
        f"          - {{kind: s3, bucket: {bucket}, prefix: intake/, endpoint_url: "
        f"'{moto_s3.endpoint}', region: us-east-1, addressing_style: path, "
        "access_key_id: {env: PVT_TEST_S3_KEY}, secret_access_key: {env: PVT_TEST_S3_SECRET}}\n"))
    intake_env.drop_encrypted("members_s3.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    try:
        (key,) = process_all(intake)
        run_delivered(intake, key, run_id="rerun")  # overwrites the same object
        record = intake.ledger.get_file(key)
    finally:
        intake.close()
    listed = moto_s3.client().list_objects_v2(Bucket=bucket)["Contents"]
    day = record.received_at.date().isoformat() if record.received_at else ""
    slug = key.rsplit("/", 1)[-1]
    assert [o["Key"] for o in listed] == [f"intake/acme/members/{day}/{slug}.csv"]
    body = moto_s3.client().get_object(Bucket=bucket, Key=listed[0]["Key"])
    text_body = body["Body"].read().decode()
    assert text_body.splitlines()[0] == "member_id,ssn,phone,state"
    assert body["Metadata"]["pvt-key"] == key
    delivered = record.metrics["delivered"]
    assert delivered["rows"] == len(GOOD_ROWS) and delivered["bytes"] == len(text_body.encode())
    assert record.status == "delivered"
