"""The vault and stage outputs in object storage (``storage: {url: s3://bucket/prefix}``).

A stored file's object key is its path in the home layout under the URL's prefix
(``prefix/vault/<client>/<feed>/<slug>``, ``prefix/work/scrubbed/...``). Stages still write
and read local files, in a scratch folder that belongs to this process (one run): ``publish``
uploads what a stage wrote, ``get`` downloads what a stage reads unless this process wrote or
read it already. Both stream (multipart above ``single_put_limit``), so no file is ever whole
in memory. The vault is write-once: its objects are put with ``If-None-Match: *``, and an
existing object is accepted only when it holds the same bytes (its ``sha256`` metadata)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pvt_dagster.config import StorageConfig
from pvt_dagster.errors import StorageError, VaultConflictError
from pvt_dagster.fsutil import private_temp_beside
from pvt_dagster.storage.connect import s3_client
from pvt_dagster.storage.local import StageStore

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_MISSING = {"NoSuchKey", "404", "NotFound"}
_TAKEN = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    """One line for a boto error: its code and HTTP status, never request data."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{_code(exc) or type(exc).__name__} (HTTP {status})"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else (
        type(exc).__name__)


class S3Store(StageStore):
    """Stored files are objects; local files are scratch copies in a private temp folder."""

    single_put_limit = 256 * 1024 * 1024  # above this, a write-once put is a multipart upload
    part_size = 64 * 1024 * 1024

    def __init__(self, config: StorageConfig) -> None:
        scratch = config.scratch
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
        super().__init__(Path(tempfile.mkdtemp(prefix="pvt-run-", dir=scratch)))
        self.config = config
        self.bucket, self.prefix = config.bucket, config.prefix
        self._client: Any = None
        self._local: set[Path] = set()  # scratch files that hold their object's bytes
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.root, ignore_errors=True)

    @property
    def is_local(self) -> bool:
        """Stored files are objects, not the scratch files."""
        return False

    @property
    def client(self) -> Any:
        """The S3 client, made on first use."""
        if self._client is None:
            try:
                self._client = s3_client(self.config)
            except (BotoCoreError, ValueError) as exc:
                raise StorageError(f"cannot set up the S3 client for {self.config.url}: "
                                   f"{_reason(exc)}") from exc
        return self._client

    def _owns(self, path: Path) -> bool:
        return path.is_relative_to(self.root)

    def key(self, path: Path) -> str:
        """The object key of a stored file."""
        return self.prefix + path.relative_to(self.root).as_posix()

    def where(self, path: Path) -> str:
        """``s3://bucket/key`` of a stored file (other paths as they are)."""
        return f"s3://{self.bucket}/{self.key(path)}" if self._owns(path) else str(path)

    def _head(self, path: Path) -> dict[str, Any] | None:
        """The HEAD response of the object, None when it does not exist."""
        return self._request("head_object", path)

    def _get_object(self, path: Path) -> dict[str, Any] | None:
        """The GET response of the object (its body still to read), None when missing."""
        return self._request("get_object", path)

    def _request(self, operation: str, path: Path) -> dict[str, Any] | None:
        """One read request on the object: its response, None when the object is missing,
        a StorageError for anything else."""
        try:
            response: dict[str, Any] = getattr(self.client, operation)(Bucket=self.bucket,
                                                                       Key=self.key(path))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise self._error("read", path, exc) from exc
        except BotoCoreError as exc:
            raise self._error("read", path, exc) from exc
        return response

    def _error(self, action: str, path: Path, exc: Exception) -> StorageError:
        return StorageError(f"cannot {action} {self.where(path)}: {_reason(exc)}")

    def size(self, path: Path) -> int | None:
        """The object's size (HEAD), None when it does not exist."""
        if not self._owns(path):
            return super().size(path)
        head = self._head(path)
        return None if head is None else int(head["ContentLength"])

    def get(self, path: Path) -> Path | None:
        """The scratch copy of the object, downloaded (streamed) unless this process has it."""
        if not self._owns(path):
            return super().get(path)
        if path in self._local and path.is_file():
            return path
        response = self._get_object(path)
        if response is None:
            return None
        fd, tmp = private_temp_beside(path)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in response["Body"].iter_chunks(CHUNK):
                    out.write(chunk)
            os.replace(tmp, path)
        except (BotoCoreError, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise self._error("download", path, exc) from exc
        finally:
            response["Body"].close()
        self._local.add(path)
        return path

    def _extra(self, sha256: str) -> dict[str, Any]:
        extra: dict[str, Any] = {"Metadata": {"sha256": sha256}}
        if self.config.server_side_encryption:
            extra["ServerSideEncryption"] = self.config.server_side_encryption
        if self.config.kms_key_id:
            extra["SSEKMSKeyId"] = self.config.kms_key_id
        return extra

    def publish(self, path: Path, *, sha256: str, write_once: bool = False) -> None:
        """Upload the scratch file ``path`` to its object (streamed). Write-once: an existing
        object is kept if it holds the same bytes, else VaultConflictError."""
        if not self._owns(path):
            return
        try:
            if write_once:
                self._put_once(path, sha256)
            else:
                from boto3.s3.transfer import TransferConfig

                self.client.upload_file(
                    str(path), self.bucket, self.key(path), ExtraArgs=self._extra(sha256),
                    Config=TransferConfig(multipart_threshold=self.single_put_limit,
                                          multipart_chunksize=self.part_size))
        except (BotoCoreError, ClientError) as exc:
            raise self._error("upload", path, exc) from exc
        except OSError as exc:
            raise StorageError(f"cannot read {path.name} to upload it: {exc.strerror}") from exc
        self._local.add(path)

    def _put_once(self, path: Path, sha256: str) -> None:
        """Put the object only if none exists (``If-None-Match: *``)."""
        key = self.key(path)
        try:
            if path.stat().st_size <= self.single_put_limit:
                with open(path, "rb") as body:
                    self.client.put_object(Bucket=self.bucket, Key=key, Body=body,
                                           IfNoneMatch="*", **self._extra(sha256))
            else:
                self._multipart_once(path, key, sha256)
        except ClientError as exc:
            if _code(exc) not in _TAKEN:
                raise
            head = self._head(path)
            stored = (head or {}).get("Metadata", {}).get("sha256")
            if stored != sha256:
                raise VaultConflictError(
                    f"{self.where(path)} already holds different bytes; the vault is "
                    "write-once") from exc
            log.info("%s: already stored with the same sha256", self.where(path))

    def _multipart_once(self, path: Path, key: str, sha256: str) -> None:
        """A multipart upload completed with ``If-None-Match: *`` (aborted on any error)."""
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key,
                                                     **self._extra(sha256))["UploadId"]
        try:
            parts = []
            with open(path, "rb") as body:
                for number in range(1, 10_001):
                    chunk = body.read(self.part_size)
                    if not chunk:
                        break
                    etag = self.client.upload_part(Bucket=self.bucket, Key=key, Body=chunk,
                                                   UploadId=upload, PartNumber=number)["ETag"]
                    parts.append({"ETag": etag, "PartNumber": number})
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload, IfNoneMatch="*",
                MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(BotoCoreError, ClientError):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key,
                                                   UploadId=upload)
            raise

    def sha256(self, path: Path) -> str | None:
        """The sha256 of the object's bytes, streamed and hashed here (None when missing)."""
        if not self._owns(path):
            return super().sha256(path)
        response = self._get_object(path)
        if response is None:
            return None
        digest = hashlib.sha256()
        try:
            for chunk in response["Body"].iter_chunks(CHUNK):
                digest.update(chunk)
        except (BotoCoreError, OSError) as exc:
            raise self._error("read", path, exc) from exc
        finally:
            response["Body"].close()
        return digest.hexdigest()

    def remove(self, path: Path) -> bool:
        """Delete the object and the scratch copy; whether the object existed."""
        if not self._owns(path):
            return super().remove(path)
        existed = self.present(path)
        if existed:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self.key(path))
            except (BotoCoreError, ClientError) as exc:
                raise self._error("delete", path, exc) from exc
        self._local.discard(path)
        path.unlink(missing_ok=True)
        return existed

    def close(self) -> None:
        """Close the client's connections and delete the scratch folder."""
        if self._client is not None:
            self._client.close()
            self._client = None
        self._local.clear()
        self._cleanup()
