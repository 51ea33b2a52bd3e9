"""An S3 bucket, or an S3-compatible store via ``endpoint_url``, as a Source (boto3).

Paths are object keys relative to the source's prefix (a folder: ``in`` means ``in/``). One
poll is one paginated ``list_objects_v2`` (with ``Delimiter="/"`` unless recursive; sub-folders
are then listed as ``dir`` entries, as a local folder's are). ``mtime`` is LastModified in whole
seconds (LIST and HEAD agree only to the second); the ETag is kept on the entry. A download
sends ``If-Match`` with the ETag seen when the entry was statted, so an object replaced in
between is never read as the old one, and delete and archive first check that the object still
has the ETag of the bytes that were read: a replaced object is left in place, never lost.
``archive:PREFIX`` copies the object under PREFIX (a key prefix in the same bucket, under the
source's prefix unless it starts with ``/``; ``name-2.ext`` ... on a clash) and then deletes
the original.
"""

from __future__ import annotations

import posixpath
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, BinaryIO

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    SSLError,
)
from urllib3.exceptions import HTTPError as Urllib3Error

from pvt_dagster.config import S3Source
from pvt_dagster.errors import (
    PvtError,
    ServerIdentityError,
    SourceAuthError,
    SourceChangedError,
    SourceError,
)
from pvt_dagster.sources.base import BaseSource, RemoteEntry, free_name
from pvt_dagster.sources.streams import ChunkStream

CHUNK = 1024 * 1024
_GONE = {"NoSuchKey", "404", "NotFound"}
_AUTH = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
         "AccessDenied", "403", "InvalidClientTokenId", "AuthorizationHeaderMalformed"}
_CHANGED = {"PreconditionFailed", "412"}


def folder_prefix(text: str) -> str:
    """A key prefix that names a folder: no leading ``/``, one trailing ``/`` (or empty)."""
    text = text.strip("/")
    return f"{text}/" if text else ""


def _seconds(moment: datetime) -> float:
    """LastModified as whole seconds since the epoch."""
    return float(int(moment.timestamp()))


class S3BucketSource(BaseSource[S3Source]):
    """Objects under a bucket's prefix: paginated listing, streamed reads, copy + delete."""

    page_size = 1000  # keys per list_objects_v2 page (S3's maximum)

    def __init__(self, name: str, config: S3Source) -> None:
        super().__init__(name, config)
        self.prefix = folder_prefix(config.prefix)
        self._client: Any = None
        self._etags: dict[str, str] = {}  # path -> ETag seen by the last listing or stat
        self._read: dict[str, str] = {}   # path -> ETag of the bytes actually read
        destination = self.archive_destination
        self._archive = self._archive_prefix(destination) if destination is not None else None

    # -- connection and errors --------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use (credentials resolved here, never stored)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        from pvt_dagster.storage import s3_client  # with boto3: only for an S3 source

        try:
            return s3_client(self.config)
        except (BotoCoreError, ValueError) as exc:
            raise SourceError(f"{self.label}: cannot set up the S3 client: {exc}") from exc

    def _where(self, path: str | None) -> str:
        bucket = f"s3://{self.config.bucket}/{self.prefix}"
        return f"{bucket}{path}" if path else bucket

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """Our error for a botocore error while doing ``action`` on ``path`` (or the bucket)."""
        if not isinstance(exc, ClientError | BotoCoreError):
            return None
        where = f"{self.label}: cannot {action} {self._where(path)}"
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            message = str(error.get("Message", ""))[:200]
            if code in _GONE and path is not None:
                return self.gone(path)
            if code == "NoSuchBucket":
                return SourceError(f"{where}: bucket {self.config.bucket} does not exist")
            if code in _AUTH:
                return SourceAuthError(f"{where}: the store refused our credentials "
                                       f"({code}: {message})")
            if code in _CHANGED:
                return SourceChangedError(f"{self.label}: {path!r} was replaced at the "
                                          "source (ETag changed); it will be picked up again")
            return SourceError(f"{where}: {code} {message}".rstrip())
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return SourceAuthError(f"{where}: no AWS credentials (set access_key_id and "
                                   "secret_access_key, or configure the default chain)")
        if isinstance(exc, SSLError):
            return ServerIdentityError(f"{where}: the TLS certificate does not verify "
                                       "(set ca_bundle for a private CA)")
        if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
            return SourceError(f"{where}: cannot reach {self.config.endpoint_url or 'S3'}")
        return SourceError(f"{where}: {exc}")

    def _key(self, path: str) -> str:
        if not path or path.endswith("/"):
            raise SourceError(f"{self.label}: {path!r} is not an object path")
        return self.prefix + path

    def _archive_prefix(self, destination: str) -> str:
        """The archive's key prefix: ``destination`` under the source's prefix, or from the
        bucket's root when it starts with ``/`` (``..`` never leaves the bucket)."""
        return folder_prefix(posixpath.normpath(posixpath.join("/", self.prefix, destination)))

    def _entry(self, path: str, size: int, modified: datetime, etag: str | None) -> RemoteEntry:
        if etag:
            self._etags[path] = etag
        return RemoteEntry(path=path, name=posixpath.basename(path), size=int(size),
                           mtime=_seconds(modified), etag=etag)

    # -- listing ----------------------------------------------------------------------------

    def list_entries(self) -> list[RemoteEntry]:
        """Every object under the prefix (one level unless recursive), sorted by path."""
        entries: list[RemoteEntry] = []
        arguments = {"Bucket": self.config.bucket, "Prefix": self.prefix}
        if not self.config.recursive:
            arguments["Delimiter"] = "/"
        with self.translating("list"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                **arguments, PaginationConfig={"PageSize": self.page_size})
            for page in pages:
                for obj in page.get("Contents", []):
                    key: str = obj["Key"]
                    path = key[len(self.prefix):]
                    if not path or key.endswith("/") or self._archived(key):
                        continue  # folder markers and our own archive
                    entries.append(self._entry(path, obj["Size"], obj["LastModified"],
                                               obj.get("ETag")))
                for common in page.get("CommonPrefixes", []):
                    folder = str(common["Prefix"])
                    path = folder[len(self.prefix):].rstrip("/")
                    if path and not self._archived(folder):
                        entries.append(RemoteEntry(path=path, name=path, size=0, mtime=0.0,
                                                   kind="dir"))
        return sorted(entries, key=lambda e: e.path)

    def _archived(self, key: str) -> bool:
        return self._archive is not None and key.startswith(self._archive)

    # -- single entries ---------------------------------------------------------------------

    def stat(self, path: str) -> RemoteEntry:
        """The object at ``path`` now (HEAD); SourceEntryGoneError if it is gone."""
        with self.translating("stat", path):
            head = self.client.head_object(Bucket=self.config.bucket, Key=self._key(path))
        return self._entry(path, head["ContentLength"], head["LastModified"], head.get("ETag"))

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A stream of the object's bytes, If-Match the ETag last seen for it."""
        arguments = {"Bucket": self.config.bucket, "Key": self._key(path)}
        if path in self._etags:
            arguments["IfMatch"] = self._etags[path]
        with self.translating("read", path):
            response = self.client.get_object(**arguments)
        self._read[path] = response.get("ETag") or self._etags.get(path, "")
        body = response["Body"]
        translate = self.reading_error(path, (BotoCoreError, Urllib3Error, OSError))
        return ChunkStream(body.iter_chunks(CHUNK), translate=translate,
                           on_close=body.close).as_binary()

    def _check_same(self, path: str, action: str) -> None:
        """SourceError unless the object still has the ETag of the bytes read (or last seen)."""
        expected = self._read.get(path) or self._etags.get(path)
        now = self.stat(path)
        if expected and now.etag and now.etag != expected:
            raise SourceError(f"{self.label}: {path!r} was replaced after the transfer "
                              f"(ETag changed); not {action}d, left in place")

    def remove(self, path: str) -> None:
        """Delete the object, unless it was replaced since it was read."""
        self._check_same(path, "delete")
        with self.translating("delete", path):
            self.client.delete_object(Bucket=self.config.bucket, Key=self._key(path))

    def archive(self, path: str, destination: str) -> str:
        """Copy the object under the ``destination`` prefix (see ``_archive_prefix``), as
        ``name-2.ext`` ... if its name is taken there, then delete it; its new key."""
        folder = self._archive_prefix(destination)
        self._check_same(path, "archive")
        with self.translating("archive", path):
            target = free_name(folder, posixpath.basename(path), self._exists)
        expected = self._read.get(path) or self._etags.get(path)
        extra = {"CopySourceIfMatch": expected} if expected else None
        source = {"Bucket": self.config.bucket, "Key": self._key(path)}
        with self.translating("archive", path):
            self.client.copy(source, self.config.bucket, target, ExtraArgs=extra)
        try:
            with self.translating("delete", path):
                self.client.delete_object(Bucket=self.config.bucket, Key=self._key(path))
        except PvtError as exc:
            raise SourceError(f"{self.label}: archived {path!r} to {target} but cannot "
                              f"delete the original: {exc}") from exc
        return target

    def _exists(self, key: str) -> bool:
        """Whether an object has the key ``key`` (HEAD)."""
        try:
            self.client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _GONE:
                return False
            raise
        return True

    def close(self) -> None:
        """Close the client's connections."""
        if self._client is not None:
            self._client.close()
            self._client = None
