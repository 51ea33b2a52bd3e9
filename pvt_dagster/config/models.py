"""Pydantic models of ``pvt.yaml``: pure data, no I/O beyond resolving secret references."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pvt_dagster.config.sizes import parse_size
from pvt_dagster.errors import ConfigError

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def _identifier(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(
            f"{name!r} is not a valid name: use a-z, 0-9 and _, starting with a letter"
        )
    return name


# Client, source and feed names become Dagster names (asset keys, jobs, partitions).
Name = Annotated[str, AfterValidator(_identifier)]
Severity = Literal["information", "warning", "failure"]
SEVERITIES: tuple[Severity, ...] = ("information", "warning", "failure")


class Model(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(Model):
    """A secret read when used: ``{env: NAME}`` or ``{file: PATH}``, never written in config."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret is {env: NAME} or {file: PATH}, exactly one of them")
        return self

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the value)."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def is_available(self) -> bool:
        """Whether the secret can be resolved now."""
        if self.env:
            return self.env in os.environ
        return self.file is not None and self.file.is_file()

    def resolve(self) -> str:
        """Read the secret's value; raises ConfigError naming the missing variable or file."""
        if self.env:
            if self.env not in os.environ:
                raise ConfigError(f"secret: environment variable {self.env} is not set")
            return os.environ[self.env]
        assert self.file is not None
        try:
            return self.file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"secret: cannot read file {self.file}: {exc.strerror}") from exc


Size = Annotated[int, Field(ge=0)]


class Constraints(Model):
    """Per-client or per-feed limits on what a source may deliver."""

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
SUPPORTED_SOURCE_KINDS = frozenset({"local"})


class DecryptConfig(Model):
    """The key a feed's files are encrypted to and the passphrase of its secret key."""

    key: str
    passphrase: SecretRef | None = None


class CsvFormat(Model):
    """A delimited text file."""

    type: Literal["csv"] = "csv"
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("must be exactly one character")
        return value


class RuleConfig(Model):
    """One check on a column: a rule name, its options and a severity."""

    rule: Literal["required", "pattern", "in_list"]
    severity: Severity = "failure"
    pattern: str | None = None  # a built-in name (ssn, us_phone, zip, email, date)
    regex: str | None = None  # a custom regular expression (full match)
    values: list[str] | str | SecretRef | None = None  # list, built-in list name, or {file: PATH}
    ignore_case: bool = False

    @model_validator(mode="after")
    def _options_fit_rule(self) -> RuleConfig:
        if self.rule == "pattern" and (self.pattern is None) == (self.regex is None):
            raise ValueError("rule pattern takes exactly one of pattern (a built-in) or regex")
        if self.rule == "in_list" and self.values is None:
            raise ValueError("rule in_list needs values (a list, a built-in list or {file: PATH})")
        if self.rule != "pattern" and (self.pattern or self.regex):
            raise ValueError(f"rule {self.rule} takes no pattern or regex")
        if self.rule != "in_list" and self.values is not None:
            raise ValueError(f"rule {self.rule} takes no values")
        return self


class PadOptions(Model):
    """Options of pad_left and pad_right."""

    width: int = Field(ge=1)
    fill: str = " "

    @field_validator("fill")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError("fill must be exactly one character")
        return value


SIMPLE_SCRUB_ACTIONS = frozenset({"strip_hyphens", "digits_only", "trim", "upper", "lower"})
OPTION_SCRUB_ACTIONS = {"pad_left": PadOptions, "pad_right": PadOptions}


class ScrubStep(Model):
    """One scrub action with its options, normalised from ``name`` or ``{name: {options}}``."""

    action: str
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"action": value, "options": {}}
        elif isinstance(value, dict) and "action" not in value:
            if len(value) != 1:
                raise ValueError("a scrub step is a name or a one-key mapping {name: {options}}")
            ((name, options),) = value.items()
            value = {"action": name, "options": options or {}}
        return value

    @model_validator(mode="after")
    def _known(self) -> ScrubStep:
        if self.action in SIMPLE_SCRUB_ACTIONS:
            if self.options:
                raise ValueError(f"scrub action {self.action} takes no options")
        elif self.action in OPTION_SCRUB_ACTIONS:
            OPTION_SCRUB_ACTIONS[self.action].model_validate(self.options)
        else:
            known = sorted(SIMPLE_SCRUB_ACTIONS | set(OPTION_SCRUB_ACTIONS))
            raise ValueError(f"unknown scrub action {self.action!r}; known: {', '.join(known)}")
        return self


class ColumnConfig(Model):
    """A declared column: whether it is required, its checks, its scrub steps, whether PII."""

    required: bool = False
    pii: bool = True
    checks: list[RuleConfig] = Field(default_factory=list)
    scrub: list[ScrubStep] = Field(default_factory=list)


class DailyCsvTarget(Model):
    """Append a feed's rows to ``<dir>/<feed>_<YYYY-MM-DD>.csv``."""

    kind: Literal["daily_csv"]
    dir: Path


class TableTarget(Model):
    """Load rows into a per-client SQL table (issue: operations)."""

    kind: Literal["table"]
    table: str
    url: SecretRef | str | None = None


class S3Target(Model):
    """Write the scrubbed file to S3 (issue: operations)."""

    kind: Literal["s3"]
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None


DeliveryTarget = Annotated[DailyCsvTarget | TableTarget | S3Target, Field(discriminator="kind")]
SUPPORTED_DELIVERY_KINDS = frozenset({"daily_csv"})


class FeedConfig(Model):
    """A recurring kind of file from one source: how to decrypt, check, scrub and deliver it."""

    source: str
    pattern: str
    decrypt: DecryptConfig | Literal["none"]
    constraints: Constraints = Field(default_factory=Constraints)
    format: CsvFormat = Field(default_factory=CsvFormat)
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    deliver: list[DeliveryTarget] = Field(default_factory=list)
    allow_duplicates: bool = False


class ClientConfig(Model):
    """One client organisation: its limits, sources, polling and feeds."""

    constraints: Constraints = Field(default_factory=lambda: Constraints(min_bytes=1))
    max_consecutive_failures: int = Field(default=3, ge=1)
    sources: dict[Name, SourceConfig] = Field(default_factory=dict)
    polling: PollingConfig = Field(default_factory=PollingConfig)
    feeds: dict[Name, FeedConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> ClientConfig:
        # One error for all bad references; ``ctx["refs"]`` lets the loader place each one.
        refs = [(name, feed.source) for name, feed in self.feeds.items()
                if feed.source not in self.sources]
        if refs:
            text = "; ".join(f"feed {f}: source {s!r} is not declared" for f, s in refs)
            raise PydanticCustomError("undeclared_source", "{text}", {"text": text, "refs": refs})
        return self

    def feed_constraints(self, feed: FeedConfig) -> Constraints:
        """The feed's constraints with the client's as defaults."""
        return feed.constraints.merged_over(self.constraints)


class LedgerConfig(Model):
    """Where the ledger lives: null means SQLite in the PVT home."""

    url: str | None = None


class KeystoreConfig(Model):
    """Where the GnuPG home lives: null means ``home/keystore``."""

    gnupghome: Path | None = None


class EmailConfig(Model):
    """The SMTP relay messages go out through."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "pvt@localhost"
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretRef | None = None


class SalesforceConfig(Model):
    """The Salesforce org Cases are opened in."""

    instance_url: str
    session_id: SecretRef | None = None
    token_url: str | None = None
    client_id: SecretRef | None = None
    client_secret: SecretRef | None = None
    object: str = "Case"
    ca_bundle: Path | None = None


class RouteMatch(Model):
    """What a route matches on; unset fields match anything."""

    severity: Severity | None = None
    client: str | None = None
    feed: str | None = None
    stage: str | None = None
    kind: str | None = None


class Route(Model):
    """Send messages that match to these channels."""

    match: RouteMatch = Field(default_factory=RouteMatch)
    send: list[str]
    # ``continue`` is a Python keyword, hence the alias.
    continue_: bool = Field(default=False, alias="continue")


class NotifyConfig(Model):
    """Where messages go: the UI link base, channels and routes."""

    ui_base_url: str = "http://127.0.0.1:3000"
    email: EmailConfig | None = None
    salesforce: SalesforceConfig | None = None
    routes: list[Route] = Field(default_factory=list)
    digest_minutes: int = Field(default=60, ge=1)


class PvtConfig(Model):
    """The whole of ``pvt.yaml`` after references are expanded and paths made absolute."""

    path: Path | None = None  # the file it was loaded from (set by the loader)
    home: Path = Path(".pvt")
    timezone: str = "UTC"
    ledger: LedgerConfig = Field(default_factory=LedgerConfig)
    keystore: KeystoreConfig = Field(default_factory=KeystoreConfig)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)
    clients: dict[Name, ClientConfig] = Field(default_factory=dict)

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
