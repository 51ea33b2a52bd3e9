"""Source kinds of ``pvt.yaml``: where a client's files appear."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
)

from pvt_dagster.config.base import Model, SecretRef

AFTER_TRANSFER = re.compile(r"^(delete|keep|archive:.+)$")


class SourceBase(Model):
    """Fields every source kind has."""

    path: str = "/"
    after_transfer: str
    unmatched: Literal["report", "ignore"] = "report"
    recursive: bool = False

    @field_validator("after_transfer")
    @classmethod
    def _after_transfer(cls, value: str) -> str:
        if not AFTER_TRANSFER.match(value):
            raise ValueError("after_transfer is delete, keep or archive:PATH")
        return value


class LocalSource(SourceBase):
    """A folder on this machine (the embedded default)."""

    kind: Literal["local"]


class SftpSource(SourceBase):
    """An SFTP server (issue: real remote sources)."""

    kind: Literal["sftp"]
    host: str
    port: int = 22
    username: str
    password: SecretRef | None = None
    private_key: SecretRef | None = None
    known_hosts: Path | None = None


class FtpSource(SourceBase):
    """An FTP or FTPS server (issue: real remote sources)."""

    kind: Literal["ftp", "ftps"]
    host: str
    port: int = 21
    username: str = "anonymous"
    password: SecretRef | None = None
    ca_bundle: Path | None = None


class S3Source(SourceBase):
    """An S3 bucket or S3-compatible store (issue: real remote sources)."""

    kind: Literal["s3"]
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: SecretRef | None = None
    secret_access_key: SecretRef | None = None


class ImapSource(SourceBase):
    """Attachments in a mailbox (issue: real remote sources)."""

    kind: Literal["imap"]
    host: str
    port: int = 993
    username: str
    password: SecretRef | None = None
    folder: str = "INBOX"
    sender: str | None = None
    subject: str | None = None


class HttpSource(SourceBase):
    """The pull API of the PIExporter notes (issue: real remote sources)."""

    kind: Literal["http"]
    url: str
    token: SecretRef | None = None


SourceConfig = Annotated[
    LocalSource | SftpSource | FtpSource | S3Source | ImapSource | HttpSource,
    Field(discriminator="kind"),
]
# One line per kind that has an implementation in pvt_dagster.sources.
SUPPORTED_SOURCE_KINDS = frozenset({
    "local",
})
