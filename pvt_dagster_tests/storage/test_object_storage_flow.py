"""Files flow to ``delivered`` with ``storage: {url: s3://...}``: the vault and every stage
output are objects on moto's S3 server, each run works in its own scratch folder (deleted when
it ends), the home holds no file bytes, a replay decrypts again from the vault object, and
``pvt ledger verify --files`` re-hashes the objects."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.pipeline import utcnow, verify_files
from pvt_dagster.retention import purge
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily, run_file
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3

STORAGE = """\
storage:
  url: s3://{bucket}/pvt
  endpoint_url: {endpoint}
  region: {region}
  addressing_style: path
  access_key_id: {{env: PVT_TEST_STORE_KEY}}
  secret_access_key: {{env: PVT_TEST_STORE_SECRET}}
  scratch: {scratch}
"""


@pytest.fixture
def stored(intake_env: IntakeEnv, moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch,
           ) -> tuple[IntakeEnv, str]:
    """The intake environment with its stage files in a fresh bucket."""
    monkeypatch.setenv("PVT_TEST_STORE_KEY", moto_s3.access_key_id)
    monkeypatch.setenv("PVT_TEST_STORE_SECRET", moto_s3.secret_access_key)
    bucket = moto_s3.new_bucket()
    block = STORAGE.format(bucket=bucket, endpoint=moto_s3.endpoint, region=REGION,
                           scratch=intake_env.root / "scratch")
    intake_env.config_path.write_text(block + intake_env.config_path.read_text())
    return intake_env, bucket


def objects(moto: MotoS3, bucket: str) -> set[str]:
    listed = moto.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"] for o in listed}


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_every_stage_output_is_an_object_and_runs_share_no_disk(
        stored: tuple[IntakeEnv, str], moto_s3: MotoS3) -> None:
    env, bucket = stored
    env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    env.drop_plain("plain_b.csv", b"ssn\n123-45-6789\n")
    intake = env.intake()
    statuses = process_all(intake)
    assert set(statuses.values()) == {"delivered"}, statuses
    keys = sorted(statuses)
    assert objects(moto_s3, bucket) == (
        {f"pvt/vault/{k}" for k in keys} | {f"pvt/work/scrubbed/{k}.csv" for k in keys})
    for key in keys:  # the ledger names the object, and the plaintext object is gone
        assert intake.ledger.get_file(key).vault_path == f"s3://{bucket}/pvt/vault/{key}"
    assert files_under(env.root / "home" / "vault") == []
    assert files_under(env.root / "home" / "work") == []
    assert len(read_daily(env.out)) == len(GOOD_ROWS) + 1
    intake.close()  # this process's own scratch goes too; each run's went with its run
    assert files_under(env.root / "scratch") == []

    # a replay runs in a new scratch folder: the plaintext is decrypted again from the vault
    # object (checked against both recorded sha256s), and the rows are replaced, not doubled
    members = next(k for k in keys if "members" in k)
    assert run_file(env.intake(), members, from_stage="validated") == "delivered"
    assert len(read_daily(env.out)) == len(GOOD_ROWS) + 1
    assert files_under(env.root / "scratch") == []


def test_verify_files_rehashes_the_objects(
        stored: tuple[IntakeEnv, str], moto_s3: MotoS3, capsys: pytest.CaptureFixture[str],
        ) -> None:
    env, bucket = stored
    env.drop_encrypted("members_a.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = env.intake()
    (key,) = process_all(intake)
    assert verify_files(intake) == (1, [])
    config = str(env.config_path)
    assert main(["--config", config, "ledger", "verify", "--files"]) == 0
    s3 = moto_s3.client()
    s3.put_object(Bucket=bucket, Key=f"pvt/work/scrubbed/{key}.csv", Body=b"ssn\nchanged\n")
    s3.delete_object(Bucket=bucket, Key=f"pvt/vault/{key}")
    checked, problems = verify_files(env.intake())
    assert checked == 1
    assert problems == [
        f"file {key}: vault copy s3://{bucket}/pvt/vault/{key} is missing "
        f"(pvt replay {key} rebuilds outputs)",
        f"file {key}: scrubbed output s3://{bucket}/pvt/work/scrubbed/{key}.csv does not "
        "match its recorded sha256"]
    capsys.readouterr()
    assert main(["--config", config, "ledger", "verify", "--files"]) == 1
    assert "does not match" in capsys.readouterr().out


def test_an_unreachable_store_fails_the_run_and_loses_nothing(
        stored: tuple[IntakeEnv, str], moto_s3: MotoS3) -> None:
    env, bucket = stored
    moto_s3.client().delete_bucket(Bucket=bucket)  # the store refuses every write
    dropped = env.drop_plain("plain_b.csv", b"ssn\n123-45-6789\n")
    intake = env.intake()
    (key,) = process_all(intake)
    record = intake.ledger.get_file(key)
    assert record.status == "failed" and "NoSuchBucket" in (record.error or "")
    assert record.stage is None and record.raw_sha256 is None  # never recorded as received
    assert dropped.exists()  # still at its source: nothing was cleaned up
    intake.close()
    assert os.listdir(env.root / "scratch") == []


def test_purge_deletes_the_objects_past_their_time(
        stored: tuple[IntakeEnv, str], moto_s3: MotoS3) -> None:
    env, bucket = stored
    text = env.config_path.read_text()
    env.config_path.write_text(text.replace(
        "  acme:\n", "  acme:\n    retention: {vault_days: 30, work_days: 7}\n", 1))
    env.drop_plain("plain_b.csv", b"ssn\n123-45-6789\n")
    intake = env.intake()
    (key,) = process_all(intake)
    assert objects(moto_s3, bucket) == {f"pvt/vault/{key}", f"pvt/work/scrubbed/{key}.csv"}
    report = purge(intake, user="tester", now=utcnow() + timedelta(days=40))
    assert report.errors == [] and {i.area for i in report.purged} == {"vault", "work"}
    paths = {p["path"] for p in report.as_json(intake.layout.files)["purged"]}
    assert paths == {f"vault/{key}", f"work/scrubbed/{key}.csv"}
    assert report.bytes > 0
    assert objects(moto_s3, bucket) == set()
    assert verify_files(env.intake()) == (1, [])  # purged on purpose: not missing
