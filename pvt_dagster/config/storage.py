"""Reaching S3 (sources, targets and storage share these fields) and ``storage:``, where the
vault and every stage output live: the PVT home by default, or object storage."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from pvt_dagster.config.base import Model, SecretRef

_S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")


class S3Access(Model):
    """How to reach an S3 bucket or an S3-compatible store (MinIO, Ceph, moto, ...)."""

    endpoint_url: str | None = None             # an S3-compatible store
    region: str | None = None
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    access_key_id: SecretRef | None = None      # both or neither; neither = the default chain
    secret_access_key: SecretRef | None = None
    session_token: SecretRef | None = None
    ca_bundle: Path | None = None               # PEM of a private CA (else system CAs)
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _key_pair(self) -> S3Access:
        if (self.access_key_id is None) != (self.secret_access_key is None):
            raise ValueError("give both access_key_id and secret_access_key, or neither "
                             "(neither = the default AWS credential chain)")
        if self.session_token is not None and self.access_key_id is None:
            raise ValueError("session_token needs access_key_id and secret_access_key")
        return self


class StorageConfig(S3Access):
    """Object storage for the vault and every stage output: ``url: s3://bucket/prefix``. A
    run's local disk is then scratch only (``scratch``, default the system's temp folder)."""

    url: str
    server_side_encryption: Literal["AES256", "aws:kms"] | None = None
    kms_key_id: str | None = None               # with server_side_encryption: aws:kms
    scratch: Path | None = None

    @field_validator("url")
    @classmethod
    def _s3_url(cls, url: str) -> str:
        if not _S3_URL.match(url):
            raise ValueError(f"{url!r} is not s3://bucket/prefix (a bucket name is 3 to 63 "
                             "characters of a-z, 0-9, '.' and '-')")
        return url

    @model_validator(mode="after")
    def _kms(self) -> StorageConfig:
        if self.kms_key_id is not None and self.server_side_encryption != "aws:kms":
            raise ValueError("kms_key_id needs server_side_encryption: aws:kms")
        return self

    @property
    def bucket(self) -> str:
        """The bucket of ``url``."""
        return self.url.removeprefix("s3://").split("/", 1)[0]

    @property
    def prefix(self) -> str:
        """The key prefix of ``url``: no leading ``/``, one trailing ``/`` (or empty)."""
        rest = self.url.removeprefix("s3://").partition("/")[2].strip("/")
        return f"{rest}/" if rest else ""
