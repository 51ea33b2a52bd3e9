"""The s3 source against moto's S3 server on 127.0.0.1 (real HTTP, real signatures): listing
one level or recursive over several pages, streamed reads verified by sha256, ETag guards,
delete/keep/archive, bad credentials, a vanished object, and one file end to end."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pvt_dagster.config.models import Archive, Delete, Keep, S3Source
from pvt_dagster.errors import (
    SourceAuthError,
    SourceChangedError,
    SourceEntryGoneError,
    SourceError,
)
from pvt_dagster.sources import Source, open_source
from pvt_dagster.sources.s3 import S3BucketSource
from pvt_dagster.transport import after_transfer, receive
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily
from pvt_dagster_tests.support.remote_env import encrypted, sensor_messages, use_source
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3

KEY_ENV, SECRET_ENV = "PVT_TEST_S3_KEY", "PVT_TEST_S3_SECRET"


@pytest.fixture
def s3_env(moto_s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> MotoS3:
    """The moto server, with its credentials in the environment variables configs name."""
    monkeypatch.setenv(KEY_ENV, moto_s3.access_key_id)
    monkeypatch.setenv(SECRET_ENV, moto_s3.secret_access_key)
    return moto_s3


def make(server: MotoS3, bucket: str, *, after: str = "keep", recursive: bool = False,
         prefix: str = "in", secret_env: str = SECRET_ENV) -> S3BucketSource:
    """An s3 source over ``bucket``/``prefix`` on the moto server."""
    config = S3Source.model_validate({
        "kind": "s3", "bucket": bucket, "prefix": prefix, "endpoint_url": server.endpoint,
        "region": REGION, "addressing_style": "path", "after_transfer": after,
        "recursive": recursive, "access_key_id": {"env": KEY_ENV},
        "secret_access_key": {"env": secret_env}})
    source = open_source("bucket", config)
    assert isinstance(source, S3BucketSource) and isinstance(source, Source)
    return source


def put(server: MotoS3, bucket: str, key: str, data: bytes) -> None:
    """Upload one object."""
    server.client().put_object(Bucket=bucket, Key=key, Body=data)


def keys(server: MotoS3, bucket: str) -> set[str]:
    """Every key in the bucket."""
    listed = server.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"] for o in listed}


def test_lists_one_level_or_recursively_over_pages(s3_env: MotoS3) -> None:
    bucket = s3_env.new_bucket()
    for n in range(23):
        put(s3_env, bucket, f"in/f{n:02}.csv", b"x" * n)
    put(s3_env, bucket, "in/sub/deep.csv", b"deep")
    put(s3_env, bucket, "in/empty-folder/", b"")
    put(s3_env, bucket, "elsewhere.csv", b"not under the prefix")
    flat = make(s3_env, bucket)
    flat.page_size = 5  # five pages
    entries = {e.path: e for e in flat.list_entries()}
    assert {p for p, e in entries.items() if e.kind == "dir"} == {"sub", "empty-folder"}
    assert len([e for e in entries.values() if e.kind == "file"]) == 23
    assert entries["f07.csv"].size == 7 and entries["f07.csv"].name == "f07.csv"
    assert entries["f07.csv"].etag and entries["f07.csv"].mtime == int(entries["f07.csv"].mtime)
    deep = make(s3_env, bucket, recursive=True)
    deep.page_size = 5
    listed = {e.path: e for e in deep.list_entries()}
    assert "sub/deep.csv" in listed and "empty-folder" not in listed and len(listed) == 24
    stat = deep.stat("sub/deep.csv")
    assert (stat.size, stat.name, stat.kind) == (4, "deep.csv", "file")
    assert (stat.mtime, stat.etag) == (listed["sub/deep.csv"].mtime, listed["sub/deep.csv"].etag)


def test_streams_a_large_object_with_its_sha256(s3_env: MotoS3, tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    data = os.urandom(3 * 1024 * 1024 + 17)
    put(s3_env, bucket, "in/big.bin", data)
    source = make(s3_env, bucket)
    (entry,) = source.list_entries()
    received = receive(source, entry, tmp_path / "vault" / "big.bin")
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "vault" / "big.bin").read_bytes() == data
    source.close()


def test_after_transfer_delete_keep_and_archive(s3_env: MotoS3) -> None:
    """archive:PREFIX is under the source's prefix (``/PREFIX`` from the bucket's root); a taken
    name gets -2; the source's own archive is never listed, even when recursive."""
    bucket = s3_env.new_bucket()
    for name in ("a.csv", "b.csv", "c.csv", "d.csv"):
        put(s3_env, bucket, f"in/{name}", name.encode())
    put(s3_env, bucket, "in/done/c.csv", b"an earlier c")
    source = make(s3_env, bucket, after="archive:done")
    entries = {e.path: e for e in source.list_entries()}
    assert after_transfer(source, entries["a.csv"], Delete()) == "deleted a.csv at the source"
    assert after_transfer(source, entries["b.csv"], Keep()) == "kept b.csv at the source"
    assert after_transfer(source, entries["c.csv"], Archive("done")).endswith(" in/done/c-2.csv")
    assert after_transfer(source, entries["d.csv"], Archive("/old")).endswith(" old/d.csv")
    assert keys(s3_env, bucket) == {"in/b.csv", "in/done/c.csv", "in/done/c-2.csv", "old/d.csv"}
    body = s3_env.client().get_object(Bucket=bucket, Key="in/done/c-2.csv")["Body"].read()
    assert body == b"c.csv"
    inside = make(s3_env, bucket, after="archive:done", recursive=True)
    (b,) = inside.list_entries()
    inside.archive(b.path, "done")
    assert inside.list_entries() == []  # its own archive is not listed
    assert keys(s3_env, bucket) >= {"in/done/b.csv"}


def test_an_object_replaced_after_the_read_is_left_in_place(s3_env: MotoS3,
                                                           tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "in/r.csv", b"first")
    source = make(s3_env, bucket)
    entry = source.stat("r.csv")
    receive(source, entry, tmp_path / "r.csv")
    put(s3_env, bucket, "in/r.csv", b"other")
    with pytest.raises(SourceError, match="replaced after the transfer"):
        source.remove("r.csv")
    with pytest.raises(SourceError, match="replaced after the transfer"):
        source.archive("r.csv", "done")
    assert keys(s3_env, bucket) == {"in/r.csv"}


def test_an_object_replaced_between_stat_and_read_is_not_read(s3_env: MotoS3) -> None:
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "in/r.csv", b"first")
    source = make(s3_env, bucket)
    source.stat("r.csv")
    put(s3_env, bucket, "in/r.csv", b"second")
    with pytest.raises(SourceChangedError, match="replaced"):
        source.open_read("r.csv")


def test_an_object_deleted_after_listing_is_gone(s3_env: MotoS3, tmp_path: Path) -> None:
    bucket = s3_env.new_bucket()
    put(s3_env, bucket, "in/g.csv", b"soon gone")
    source = make(s3_env, bucket)
    assert [e.path for e in source.list_entries()] == ["g.csv"]
    s3_env.client().delete_object(Bucket=bucket, Key="in/g.csv")
    with pytest.raises(SourceEntryGoneError):
        source.stat("g.csv")
    with pytest.raises(SourceEntryGoneError):
        source.open_read("g.csv")
    with pytest.raises(SourceEntryGoneError):
        source.remove("g.csv")
    assert not list(tmp_path.iterdir())


def test_bad_credentials_and_missing_bucket_are_clear(s3_env: MotoS3,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3_env.new_bucket()
    monkeypatch.setenv("PVT_TEST_S3_WRONG", "not-the-secret")
    with pytest.raises(SourceAuthError, match=r"refused our credentials \(SignatureDoesNotMatch"):
        make(s3_env, bucket, secret_env="PVT_TEST_S3_WRONG").list_entries()
    with pytest.raises(SourceError, match="does not exist"):
        make(s3_env, "no-such-bucket").list_entries()
    with pytest.raises(SourceAuthError) as info:
        make(s3_env, bucket, secret_env="PVT_TEST_S3_WRONG").list_entries()
    assert "not-the-secret" not in str(info.value)


def test_bad_credentials_are_recorded_by_the_sensor(s3_env: MotoS3, intake_env: IntakeEnv,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = s3_env.new_bucket()
    monkeypatch.setenv("PVT_TEST_S3_WRONG", "not-the-secret")
    use_source(intake_env, s3_env.source_yaml(bucket, after_transfer="delete", key_env=KEY_ENV,
                                              secret_env="PVT_TEST_S3_WRONG"))
    reason, messages = sensor_messages(intake_env)
    assert "refused our credentials" in reason
    assert [(m.kind, m.severity) for m in messages] == [("source_unavailable", "failure")]
    assert "SignatureDoesNotMatch" in messages[0].text


def test_end_to_end_from_a_bucket_to_delivered(s3_env: MotoS3, intake_env: IntakeEnv) -> None:
    bucket = s3_env.new_bucket()
    use_source(intake_env, s3_env.source_yaml(bucket, after_transfer="archive:done/",
                                              key_env=KEY_ENV, secret_env=SECRET_ENV))
    payload = encrypted(intake_env, csv_bytes(GOOD_ROWS))
    put(s3_env, bucket, "in/members_2026-11-01.csv.pgp", payload)
    intake = intake_env.intake()
    statuses = process_all(intake)
    assert list(statuses.values()) == ["delivered"]
    (key,) = statuses
    record = intake.ledger.get_file(key)
    assert record.raw_sha256 == hashlib.sha256(payload).hexdigest()
    assert [r["ssn"] for r in read_daily(intake_env.out)] == ["123456789", "234567890",
                                                              "345678901"]
    assert keys(s3_env, bucket) == {"in/done/members_2026-11-01.csv.pgp"}
    assert intake.ledger.verify_chains() == []
    intake.close()
