"""The object store on moto's S3 server: write-once vault puts (single and multipart),
streamed downloads into a private scratch folder, re-hashing, deletion and clean-up."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster.config import SecretRef, StorageConfig
from pvt_dagster.errors import StorageError, VaultConflictError
from pvt_dagster.storage import s3_client
from pvt_dagster.storage.s3store import S3Store
from pvt_dagster.transport import sha256_file
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3

KEY_ENV, SECRET_ENV = "PVT_TEST_STORE_KEY", "PVT_TEST_STORE_SECRET"


def storage(moto: MotoS3, bucket: str, tmp_path: Path, **extra: object) -> StorageConfig:
    """A ``storage:`` block for a bucket on the moto server."""
    return StorageConfig(url=f"s3://{bucket}/pvt/prod", endpoint_url=moto.endpoint,
                         region=REGION, addressing_style="path",
                         access_key_id=SecretRef(env=KEY_ENV),
                         secret_access_key=SecretRef(env=SECRET_ENV),
                         scratch=tmp_path / "scratch", **extra)  # type: ignore[arg-type]


@pytest.fixture
def store(moto_s3: MotoS3, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Store]:
    monkeypatch.setenv(KEY_ENV, moto_s3.access_key_id)
    monkeypatch.setenv(SECRET_ENV, moto_s3.secret_access_key)
    made = S3Store(storage(moto_s3, moto_s3.new_bucket(), tmp_path))
    yield made
    made.close()


def write(store: S3Store, rel: str, data: bytes) -> Path:
    path = store.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def body(moto: MotoS3, store: S3Store, path: Path) -> bytes:
    data: bytes = moto.client().get_object(Bucket=store.bucket, Key=store.key(path))["Body"].read()
    return data


def test_the_vault_is_write_once(store: S3Store, moto_s3: MotoS3) -> None:
    path = write(store, "vault/acme/members/a", b"first bytes")
    digest = sha256_file(path)
    store.publish(path, sha256=digest, write_once=True)
    assert store.key(path) == "pvt/prod/vault/acme/members/a"
    assert store.where(path) == f"s3://{store.bucket}/pvt/prod/vault/acme/members/a"
    store.publish(path, sha256=digest, write_once=True)  # a rerun with the same bytes
    path.write_bytes(b"other bytes")
    with pytest.raises(VaultConflictError, match="write-once"):
        store.publish(path, sha256=sha256_file(path), write_once=True)
    assert body(moto_s3, store, path) == b"first bytes"


def test_a_large_vault_file_is_a_conditional_multipart_upload(
        store: S3Store, moto_s3: MotoS3) -> None:
    store.single_put_limit, store.part_size = 6 * 1024 * 1024, 5 * 1024 * 1024
    data = os.urandom(11 * 1024 * 1024 + 17)
    path = write(store, "vault/acme/members/big", data)
    store.publish(path, sha256=sha256_file(path), write_once=True)
    head = moto_s3.client().head_object(Bucket=store.bucket, Key=store.key(path))
    assert head["ContentLength"] == len(data) and "-" in head["ETag"]  # multipart: 3 parts
    path.write_bytes(data[:-1] + b"x")
    with pytest.raises(VaultConflictError):
        store.publish(path, sha256=sha256_file(path), write_once=True)
    assert body(moto_s3, store, path) == data
    uploads = moto_s3.client().list_multipart_uploads(Bucket=store.bucket)
    assert uploads.get("Uploads", []) == []  # the refused upload was aborted


def test_reads_come_from_the_bucket_into_a_private_scratch_folder(
        store: S3Store, moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        ) -> None:
    path = write(store, "work/scrubbed/acme/members/a.csv", b"ssn\n123456789\n")
    store.publish(path, sha256=sha256_file(path))
    other = S3Store(store.config)  # another run: its own scratch folder, nothing local
    try:
        assert other.root != store.root and oct(other.root.stat().st_mode & 0o777) == "0o700"
        theirs = other.root / path.relative_to(store.root)
        assert not theirs.exists() and other.present(theirs)
        assert other.size(theirs) == 14
        assert other.fetch(theirs) == theirs and theirs.read_bytes() == b"ssn\n123456789\n"
        assert other.sha256(theirs) == sha256_file(path)
        assert other.get(other.root / "work/scrubbed/none.csv") is None
        with pytest.raises(StorageError, match="missing"):
            other.fetch(other.root / "work/scrubbed/none.csv")
        assert other.remove(theirs) and not theirs.exists()
        assert not store.present(path) and store.sha256(path) is None
    finally:
        other.close()
    assert not other.root.exists()  # the scratch folder goes with the run


def test_outputs_are_encrypted_at_rest_when_asked(
        moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, moto_s3.access_key_id)
    monkeypatch.setenv(SECRET_ENV, moto_s3.secret_access_key)
    store = S3Store(storage(moto_s3, moto_s3.new_bucket(), tmp_path,
                            server_side_encryption="AES256"))
    try:
        path = write(store, "vault/acme/members/a", b"bytes")
        store.publish(path, sha256=sha256_file(path), write_once=True)
        head = moto_s3.client().head_object(Bucket=store.bucket, Key=store.key(path))
        assert head["ServerSideEncryption"] == "AES256"
        assert head["Metadata"]["sha256"] == sha256_file(path)
    finally:
        store.close()


def test_a_wrong_secret_is_a_clear_storage_error(
        moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, moto_s3.access_key_id)
    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    store = S3Store(storage(moto_s3, moto_s3.new_bucket(), tmp_path))
    try:
        path = write(store, "vault/acme/members/a", b"bytes")
        with pytest.raises(StorageError, match="SignatureDoesNotMatch") as caught:
            store.publish(path, sha256=sha256_file(path), write_once=True)
        assert "not-the-secret" not in str(caught.value)
    finally:
        store.close()


def test_clients_come_from_the_dagster_aws_resource_with_our_settings(
        moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_aws.s3 import S3Resource

    from pvt_dagster.storage.resource import PvtS3Resource

    monkeypatch.setenv(KEY_ENV, moto_s3.access_key_id)
    monkeypatch.setenv(SECRET_ENV, moto_s3.secret_access_key)
    config = storage(moto_s3, "any-bucket", tmp_path, timeout_seconds=7)
    client = s3_client(config)
    assert issubclass(PvtS3Resource, S3Resource)
    assert client.meta.config.connect_timeout == 7 and client.meta.config.read_timeout == 7
    assert client.meta.config.s3["addressing_style"] == "path"
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.endpoint_url == moto_s3.endpoint
