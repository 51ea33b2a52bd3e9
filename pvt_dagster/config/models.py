"""Pydantic models of ``pvt.yaml``: pure data, no I/O beyond resolving secret references.

The parts live in ``base`` (names, secrets), ``sources``, ``columns`` (formats, rules, scrub
steps) and ``notify``; this module holds the feed, client and top-level models and re-exports
the rest, so ``from pvt_dagster.config.models import X`` works for every model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pvt_dagster.config.base import (
    IDENTIFIER,
    Model,
    Name,
    SecretRef,
    Size,
)
from pvt_dagster.config.columns import (
    OPTION_SCRUB_ACTIONS,
    SIMPLE_SCRUB_ACTIONS,
    ColumnConfig,
    CsvFormat,
    ExcelFormat,
    FileFormat,
    FileRuleConfig,
    FixedColumn,
    FixedWidthFormat,
    PadOptions,
    RuleConfig,
    ScrubStep,
)
from pvt_dagster.config.decrypt import DecryptConfig, KeyChoice, KeyRule
from pvt_dagster.config.delivery import (
    SUPPORTED_DELIVERY_KINDS,
    DailyCsvTarget,
    DeliveryTarget,
    LoggingConfig,
    S3Target,
    TableTarget,
)
from pvt_dagster.config.jobs import FolderInput, JobConfig, JobRef, job_graph_issues
from pvt_dagster.config.notify import (
    EmailConfig,
    NotifyConfig,
    Route,
    RouteMatch,
    SalesforceConfig,
)
from pvt_dagster.config.push import (
    ClientPush,
    LoginLimits,
    PushServerConfig,
    PushTls,
    PushUser,
)
from pvt_dagster.config.sizes import parse_size
from pvt_dagster.config.sla import WEEKDAYS, ExpectConfig, RetentionConfig, Weekday
from pvt_dagster.config.sources import (
    SUPPORTED_SOURCE_KINDS,
    AfterTransfer,
    Archive,
    Delete,
    FtpSource,
    HttpSource,
    ImapSource,
    Keep,
    LocalSource,
    PushSource,
    S3Source,
    Seen,
    SftpSource,
    SourceBase,
    SourceConfig,
    parse_after_transfer,
)
from pvt_dagster.config.storage import StorageConfig
from pvt_dagster.config.yamlsource import KeyPath

__all__ = [
    "DEFAULT_MAX_BYTES",
    "IDENTIFIER",
    "OPTION_SCRUB_ACTIONS",
    "SIMPLE_SCRUB_ACTIONS",
    "SUPPORTED_DELIVERY_KINDS",
    "SUPPORTED_SOURCE_KINDS",
    "WEEKDAYS",
    "AfterTransfer",
    "Archive",
    "ClientConfig",
    "ClientPush",
    "ColumnConfig",
    "Constraints",
    "CsvFormat",
    "DailyCsvTarget",
    "DecryptConfig",
    "Delete",
    "DeliveryTarget",
    "EmailConfig",
    "ExcelFormat",
    "ExpectConfig",
    "FeedConfig",
    "FeedRef",
    "FileFormat",
    "FileRuleConfig",
    "FixedColumn",
    "FixedWidthFormat",
    "FolderInput",
    "FtpSource",
    "HttpSource",
    "ImapSource",
    "JobConfig",
    "JobRef",
    "Keep",
    "KeyChoice",
    "KeyRule",
    "KeystoreConfig",
    "LedgerConfig",
    "LocalSource",
    "LoggingConfig",
    "LoginLimits",
    "Model",
    "Name",
    "NotifyConfig",
    "PadOptions",
    "PollingConfig",
    "PushServerConfig",
    "PushSource",
    "PushTls",
    "PushUser",
    "PvtConfig",
    "RecoveryConfig",
    "RetentionConfig",
    "Route",
    "RouteMatch",
    "RuleConfig",
    "S3Source",
    "S3Target",
    "SalesforceConfig",
    "ScrubStep",
    "SecretRef",
    "Seen",
    "SftpSource",
    "Size",
    "SourceBase",
    "SourceConfig",
    "TableTarget",
    "TransferConfig",
    "Weekday",
    "parse_after_transfer",
]

#: ``max_bytes`` when neither the feed nor its client sets one: 2 GiB. A source that lies about
#: a file's size, or a file that grows, can never fill the disk.
DEFAULT_MAX_BYTES = 2 * 1024**3


class Constraints(Model):
    """Per-client or per-feed limits on what a source may deliver (``max_bytes`` unset means
    DEFAULT_MAX_BYTES once a feed's constraints are resolved)."""

    max_bytes: Size | None = None
    min_bytes: Size | None = None
    max_files_per_poll: int | None = Field(default=None, ge=1)
    formats: list[str] | None = None  # allowed file-name suffixes, e.g. [".csv", ".pgp"]

    @field_validator("max_bytes", "min_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return parse_size(value) if isinstance(value, str) else value

    def merged_over(self, base: Constraints) -> Constraints:
        """These constraints with unset fields taken from ``base``."""
        data = base.model_dump()
        data.update({k: v for k, v in self.model_dump().items() if v is not None})
        return Constraints(**data)


class PollingConfig(Model):
    """How often a client's sources are listed and how long a file must stay unchanged."""

    interval_seconds: int = Field(default=60, ge=1)
    quiesce_seconds: int = Field(default=120, ge=0)


class TransferConfig(Model):
    """How a file's transfer into the vault is retried before the file is ``failed``.

    Attempt n (from 2) waits ``backoff_seconds * 2**(n-2)``, at most ``max_backoff_seconds``;
    with the defaults: 2, 4 and 8 seconds, then the file is failed and reported.
    """

    retries: int = Field(default=3, ge=0, le=20)
    backoff_seconds: float = Field(default=2, ge=0)
    max_backoff_seconds: float = Field(default=60, ge=0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt`` (2 is the first retry)."""
        return min(self.max_backoff_seconds, self.backoff_seconds * 2.0 ** max(0, attempt - 2))


class RecoveryConfig(Model):
    """Files whose run ended without finishing them (a killed run worker, a lost machine):
    discovery runs them again under a fresh run key once their last run has been over for
    ``grace_seconds``, at most ``max_retries`` times; then the file is ``failed``."""

    grace_seconds: float = Field(default=120, ge=0)
    max_retries: int = Field(default=3, ge=0, le=100)


class FeedConfig(Model):
    """A recurring kind of file from one source: how to decrypt, check, scrub and deliver it."""

    source: str
    pattern: str
    decrypt: DecryptConfig | Literal["none"]
    constraints: Constraints = Field(default_factory=Constraints)
    format: FileFormat = Field(default_factory=CsvFormat)
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    file_checks: list[FileRuleConfig] = Field(default_factory=list)  # feed-level rules
    deliver: list[DeliveryTarget] = Field(default_factory=list)
    allow_duplicates: bool = False
    max_consecutive_failures: int | None = Field(default=None, ge=1)  # default: the client's
    expect: ExpectConfig | None = None  # arrival SLA: see config/sla.py
    concurrency: int = Field(
        default=1, ge=1, le=64,
        description="runs of this feed at once. 1 (the default): one file at a time, in the "
                    "order they arrived. N > 1: up to N files at once, for feeds whose files "
                    "do not depend on each other's order (each file runs in one of N lanes).")
    batch_size: int = Field(
        default=1, ge=1, le=1000,
        description="ready files of this feed one run takes at most. 1 (the default): a run "
                    "per file. N > 1: when several files of a lane are ready, one run takes up "
                    "to N of them one after another (each keeps its own partition, checks, "
                    "ledger chain and failure), saving a run's start-up per file; for feeds of "
                    "many small files.")


class ClientConfig(Model):
    """One client organisation: its limits, sources, polling and feeds."""

    constraints: Constraints = Field(default_factory=lambda: Constraints(min_bytes=1))
    max_consecutive_failures: int = Field(default=3, ge=1)
    sources: dict[Name, SourceConfig] = Field(default_factory=dict)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    transfer: TransferConfig = Field(default_factory=TransferConfig)  # retries of a transfer
    recovery: RecoveryConfig = Field(default_factory=RecoveryConfig)  # re-runs of stranded files
    feeds: dict[Name, FeedConfig] = Field(default_factory=dict)
    jobs: dict[Name, JobConfig] = Field(default_factory=dict)  # see config/jobs.py
    push: ClientPush = Field(default_factory=ClientPush)  # who may upload to push sources
    retention: RetentionConfig = Field(default_factory=RetentionConfig)  # see config/sla.py

    @model_validator(mode="after")
    def _references(self) -> ClientConfig:
        # One error for all bad references; ``ctx["issues"]`` (key path under the client,
        # message) lets the loader place each one on its line.
        issues: list[tuple[KeyPath, str]] = [
            (("feeds", name, "source"), f"source '{feed.source}' is not declared in this client")
            for name, feed in self.feeds.items() if feed.source not in self.sources]
        issues += job_graph_issues(self.feeds, self.jobs)
        issues += [
            (("feeds", name, "decrypt"),
             f"source '{feed.source}' (imap) requires signed attachments, and a decrypt: none "
             "feed cannot check a signature: give the feed a decrypt key (signed, encrypted "
             "files), or set require_signature: false on the source")
            for name, feed in self.feeds.items()
            if feed.decrypt == "none" and feed.source in self.sources
            and getattr(self.sources[feed.source], "required_signers", None) is not None]
        if issues:
            text = "; ".join(message for _path, message in issues)
            raise PydanticCustomError("client_references", "{text}",
                                      {"text": text, "issues": issues})
        return self

    def feed_constraints(self, feed: FeedConfig) -> Constraints:
        """The feed's constraints with the client's as defaults (and DEFAULT_MAX_BYTES)."""
        merged = feed.constraints.merged_over(self.constraints)
        if merged.max_bytes is None:
            merged = merged.model_copy(update={"max_bytes": DEFAULT_MAX_BYTES})
        return merged


class LedgerConfig(Model):
    """Where the ledger lives: null means SQLite in the PVT home."""

    url: str | None = None


class KeystoreConfig(Model):
    """Where the GnuPG home lives: null means ``home/keystore``."""

    gnupghome: Path | None = None


class WorkConfig(Model):
    """The work folders: ``keep_plaintext`` keeps a file's decrypted plaintext after the file
    is final (by default it is removed, and re-decrypted from the vault if a replay needs it)."""

    keep_plaintext: bool = False


class PvtConfig(Model):
    """The whole of ``pvt.yaml`` after references are expanded and paths made absolute."""

    path: Path | None = None  # the file it was loaded from (set by the loader)
    home: Path = Path(".pvt")
    timezone: str = "UTC"
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    keystore: KeystoreConfig = Field(default_factory=KeystoreConfig)
    work: WorkConfig = Field(default_factory=WorkConfig)
    storage: StorageConfig | None = None  # null: the vault and work folders in the home
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)  # see config/delivery.py
    push: PushServerConfig = Field(default_factory=PushServerConfig)  # `pvt serve`
    clients: dict[Name, ClientConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _tables_not_in_the_ledger(self) -> PvtConfig:
        # A table target writes into the ledger database only when explicitly allowed; a
        # secret URL is checked when it is resolved (at delivery).
        for client_name, client in self.clients.items():
            owners = [(f"feed {client_name}/{n}", f.deliver) for n, f in client.feeds.items()]
            owners += [(f"job {client_name}/{n}", j.deliver) for n, j in client.jobs.items()]
            for where, targets in owners:
                for target in targets:
                    if isinstance(target, TableTarget) and not isinstance(target.url, SecretRef):
                        refusal = target.ledger_refusal(target.url, self.ledger_url, where)
                        if refusal:
                            raise ValueError(refusal)
        return self

    @model_validator(mode="after")
    def _push_users_unique(self) -> PvtConfig:
        # A login names a user, never a client: each user name belongs to one client only.
        owner: dict[str, str] = {}
        for client_name, client in self.clients.items():
            for user in client.push.users:
                if user in owner:
                    raise ValueError(f"push user {user!r} is declared by clients "
                                     f"{owner[user]} and {client_name}; a user name belongs "
                                     "to one client")
                owner[user] = client_name
        return self

    def push_user(self, user: str) -> tuple[str, PushUser] | None:
        """The client and entry of a push user, or None if no client declares that name."""
        for client_name, client in self.clients.items():
            if user in client.push.users:
                return client_name, client.push.users[user]
        return None

    @property
    def ledger_url(self) -> str:
        """The SQLAlchemy URL of the ledger."""
        return self.ledger.url or f"sqlite:///{self.home / 'ledger.db'}"

    @property
    def gnupghome(self) -> Path:
        """The GnuPG home of the keystore."""
        return self.keystore.gnupghome or self.home / "keystore"

    def feeds(self) -> list[FeedRef]:
        """Every feed of every client, in config order."""
        return [
            FeedRef(client=c, name=f, config=feed, client_config=client)
            for c, client in self.clients.items()
            for f, feed in client.feeds.items()
        ]

    def jobs(self) -> list[JobRef]:
        """Every processing job of every client, in config order."""
        return [JobRef(client=c, name=j, config=job, client_config=client)
                for c, client in self.clients.items() for j, job in client.jobs.items()]

    def job(self, client: str, job: str) -> JobRef:
        """One job by client and job name; KeyError if unknown."""
        client_config = self.clients[client]
        return JobRef(client=client, name=job, config=client_config.jobs[job],
                      client_config=client_config)

    def feed(self, client: str, feed: str) -> FeedRef:
        """One feed by client and feed name; KeyError if unknown."""
        client_config = self.clients[client]
        return FeedRef(client=client, name=feed, config=client_config.feeds[feed],
                       client_config=client_config)


class FeedRef(BaseModel):
    """A feed together with its client's name and config."""

    model_config = ConfigDict(frozen=True)

    client: str
    name: str
    config: FeedConfig
    client_config: ClientConfig

    @property
    def qualified_name(self) -> str:
        """``client/feed``, as the command line names it."""
        return f"{self.client}/{self.name}"

    @property
    def constraints(self) -> Constraints:
        """The feed's effective constraints."""
        return self.client_config.feed_constraints(self.config)

