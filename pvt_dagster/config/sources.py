"""Source kinds of ``pvt.yaml``: where a client's files appear, and what happens to a file at
its source once its bytes are safely in the vault (``after_transfer``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from pvt_dagster.config.base import Model, SecretRef
from pvt_dagster.config.decrypt import fingerprints
from pvt_dagster.config.push import is_loopback
from pvt_dagster.config.storage import S3Access


@dataclass(frozen=True)
class Delete:
    """``after_transfer: delete``: remove the file at the source."""

    def describe(self) -> str:
        """The policy as written in pvt.yaml (and in ledger event names)."""
        return "delete"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Keep:
    """``after_transfer: keep``: leave the file where it is."""

    def describe(self) -> str:
        """The policy as written in pvt.yaml (and in ledger event names)."""
        return "keep"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Seen:
    """``after_transfer: seen`` (imap only): mark the message seen."""

    def describe(self) -> str:
        """The policy as written in pvt.yaml (and in ledger event names)."""
        return "seen"

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class Archive:
    """``after_transfer: archive:PATH``: move the file to PATH at the source (see the README's
    sources section for what PATH means for each kind)."""

    path: str

    def describe(self) -> str:
        """The policy as written in pvt.yaml (and in ledger event names)."""
        return f"archive:{self.path}"

    def __str__(self) -> str:
        return self.describe()


AfterTransfer = Delete | Keep | Seen | Archive
_SIMPLE: dict[str, AfterTransfer] = {"delete": Delete(), "keep": Keep(), "seen": Seen()}
_ARCHIVE = "archive:"


def parse_after_transfer(value: object) -> AfterTransfer:
    """The policy an ``after_transfer`` value names (a policy passes as is); ValueError if none."""
    if isinstance(value, Delete | Keep | Seen | Archive):
        return value
    if isinstance(value, str):
        if value in _SIMPLE:
            return _SIMPLE[value]
        if value.startswith(_ARCHIVE) and value != _ARCHIVE:
            return Archive(value.removeprefix(_ARCHIVE))
    raise ValueError("after_transfer is delete, keep, seen or archive:PATH")


def _policy_of(value: Any, allowed: tuple[type, ...], message: str) -> AfterTransfer:
    """The policy of ``value`` if its kind is ``allowed`` for the source kind; else ``message``."""
    try:
        policy = parse_after_transfer(value)
    except ValueError:
        raise ValueError(message) from None
    if not isinstance(policy, allowed):
        raise ValueError(message)
    return policy


# In pvt.yaml and the JSON Schema a policy is its text; in Python it is typed.
AfterTransferField = Annotated[
    AfterTransfer,
    PlainValidator(parse_after_transfer),
    PlainSerializer(lambda policy: policy.describe(), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(delete|keep|seen|archive:.+)$",
                    "description": "delete | keep | archive:PATH (imap also: seen; http: delete "
                                   "or keep)"}),
]


class SourceBase(Model):
    """Fields every source kind has."""

    path: str = "/"
    after_transfer: AfterTransferField
    unmatched: Literal["report", "ignore"] = "report"
    recursive: bool = False

    @field_validator("after_transfer", mode="before")
    @classmethod
    def _after_transfer(cls, value: Any) -> AfterTransfer:
        return _policy_of(value, (Delete, Keep, Archive),
                          "after_transfer is delete, keep or archive:PATH")


class LocalSource(SourceBase):
    """A folder on this machine (the embedded default)."""

    kind: Literal["local"]


class SftpSource(SourceBase):
    """An SFTP server (issue: real remote sources)."""

    kind: Literal["sftp"]
    host: str
    port: int = Field(default=22, ge=1, le=65535)
    username: str
    password: SecretRef | None = None
    private_key: SecretRef | None = None       # an OpenSSH or PEM private key (file or env)
    private_key_passphrase: SecretRef | None = None
    known_hosts: Path                          # required; `pvt sources trust` records a key
    timeout_seconds: float = Field(default=30, gt=0)  # connect, authenticate, each read
    # downloads through OpenSSH's ssh when it can (key without passphrase; sftp_openssh.py)
    ssh_client: Literal["auto", "paramiko"] = "auto"


class FtpSource(SourceBase):
    """An FTP or FTPS server (issue: real remote sources)."""

    kind: Literal["ftp", "ftps"]
    host: str
    port: int = Field(default=21, ge=1, le=65535)
    username: str = "anonymous"
    password: SecretRef | None = None
    ca_bundle: Path | None = None               # ftps: PEM of a private CA (else system CAs)
    timeout_seconds: float = Field(default=30, gt=0)
    allow_insecure: bool = False                # plain ftp to a host that is not loopback

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> FtpSource:
        if self.kind == "ftp" and not self.allow_insecure and not is_loopback(self.host):
            raise ValueError(
                f"kind: ftp sends the password and the files in clear, so it is only for a "
                f"loopback host (127.0.0.1, ::1, localhost), not {self.host!r}: use kind: ftps, "
                "or set allow_insecure: true to accept the risk")
        return self


class _NoPath(SourceBase):
    """A source kind whose location is not a ``path`` (and, unless said, not recursive)."""

    @model_validator(mode="after")
    def _unused_fields(self) -> _NoPath:
        where = {"s3": "bucket and prefix", "imap": "folder", "http": "url",
                 "push": "an area under the PVT home (home/push/<client>/<source>)"}
        kind = getattr(self, "kind", "")
        if "path" in self.model_fields_set:
            raise ValueError(f"{kind} sources use {where.get(kind, 'their own fields')}, "
                             "not path")
        if kind != "s3" and self.recursive:
            raise ValueError(f"{kind} sources have no folders to recurse into")
        return self


class S3Source(_NoPath, S3Access):
    """An S3 bucket or S3-compatible store; archive:PREFIX copies then deletes."""

    kind: Literal["s3"]
    bucket: str = Field(min_length=3)
    prefix: str = ""                            # a folder: "in" and "in/" are the same


class ImapSource(_NoPath):
    """Attachments of the messages in a mailbox folder that match sender/subject filters."""

    kind: Literal["imap"]
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)  # 993 for ssl, else 143
    security: Literal["ssl", "starttls", "none"] = "ssl"    # none: tests on 127.0.0.1 only
    ca_bundle: Path | None = None               # PEM of a private CA (else system CAs)
    username: str
    password: SecretRef
    folder: str = "INBOX"
    sender: str | None = None                   # server-side SEARCH FROM (substring)
    subject: str | None = None                  # server-side SEARCH SUBJECT (substring)
    timeout_seconds: float = Field(default=30, gt=0)
    # A From header is easy to forge: by default every attachment must be PGP-signed by one
    # of these keys (checked when it is decrypted), unless require_signature: false.
    require_signature: bool = True
    trusted_signers: list[str] = Field(default_factory=list)

    @field_validator("trusted_signers", mode="before")
    @classmethod
    def _fingerprints(cls, value: Any) -> Any:
        return fingerprints(value)

    @field_validator("after_transfer", mode="before")
    @classmethod
    def _after_transfer(cls, value: Any) -> AfterTransfer:
        return _policy_of(value, (Delete, Keep, Seen, Archive),
                          "after_transfer is delete, keep, seen or archive:FOLDER for imap")

    @field_validator("sender", "subject")
    @classmethod
    def _ascii(cls, value: str | None) -> str | None:
        if value is not None and (not value.isascii() or not value.isprintable() or not value):
            raise ValueError("filters are printable ASCII text (the server matches substrings)")
        return value

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> ImapSource:
        if self.security == "none" and self.host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("security: none (no TLS) is only for a server on 127.0.0.1")
        if self.require_signature and not self.trusted_signers:
            raise ValueError(
                "an imap source takes only PGP-signed attachments by default (a From header "
                "is easy to forge): list the fingerprints of the keys that sign them in "
                "trusted_signers: [FINGERPRINT, ...], or set require_signature: false to "
                "accept unsigned mail")
        return self

    @property
    def required_signers(self) -> list[str] | None:
        """The fingerprints one of which must sign every attachment, or None (opted out)."""
        return self.trusted_signers if self.require_signature else None


class HttpSource(_NoPath):
    """The pull API of the PIExporter notes (contract in pvt_dagster.sources.http)."""

    kind: Literal["http"]
    url: str = Field(pattern=r"^https?://[^/?#]+")  # http:// only for 127.0.0.1 / localhost
    token: SecretRef | None = None              # sent as Authorization: Bearer <token>
    ca_bundle: Path | None = None               # PEM of a private CA (else system CAs)
    timeout_seconds: float = Field(default=30, gt=0)

    @field_validator("after_transfer", mode="before")
    @classmethod
    def _after_transfer(cls, value: Any) -> AfterTransfer:
        return _policy_of(value, (Delete, Keep),
                          "after_transfer is delete or keep for http (no archive in the API)")

    @field_validator("url")
    @classmethod
    def _https(cls, value: str) -> str:
        host = value.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if value.startswith("http://") and host not in ("127.0.0.1", "localhost", "[::1]"):
            raise ValueError("url must be https:// (http:// only for 127.0.0.1 or localhost)")
        return value.rstrip("/")


class PushSource(_NoPath):
    """Files a client uploads to ``pvt serve``; they land whole (temp file, then a rename) in
    the source's area, ``home/push/<client>/<source>/incoming``."""

    kind: Literal["push"]


SourceConfig = Annotated[
    LocalSource | SftpSource | FtpSource | S3Source | ImapSource | HttpSource | PushSource,
    Field(discriminator="kind"),
]
# One line per kind that has an implementation in pvt_dagster.sources.
SUPPORTED_SOURCE_KINDS = frozenset({
    "local",
    "sftp",
    "ftp",
    "ftps",
    "s3",
    "imap",
    "http",
    "push",
})
