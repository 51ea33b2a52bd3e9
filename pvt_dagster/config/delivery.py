"""Delivery targets of a feed (``deliver:``) and the operations settings (``logging:``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from pvt_dagster.config.base import IDENTIFIER, Model, SecretRef
from pvt_dagster.config.storage import S3Access


class DailyCsvTarget(Model):
    """Append a feed's rows to ``<dir>/<feed>_<YYYY-MM-DD>.csv``."""

    kind: Literal["daily_csv"]
    dir: Path


class TableTarget(Model):
    """Load a file's scrubbed rows into a per-client SQL table, one transaction per file.

    ``url``: any SQLAlchemy URL (SQLite, PostgreSQL), given as text (no password in it) or as
    a secret ``{env: NAME}`` / ``{file: PATH}``; null = the ledger database, which is refused
    (as is a URL equal to the ledger's) unless ``allow_ledger_database: true``. PostgreSQL:
    table ``<schema>.<table>`` with the schema named after the client unless ``schema`` says
    otherwise (created if missing); SQLite: table ``<client>__<table>``."""

    kind: Literal["table"]
    table: str = Field(pattern=IDENTIFIER)
    url: SecretRef | str | None = None
    schema_name: str | None = Field(default=None, alias="schema", pattern=IDENTIFIER)
    chunk_rows: int = Field(default=5000, ge=1, le=1_000_000)
    allow_ledger_database: bool = False

    def ledger_refusal(self, url: str | None, ledger_url: str, where: str) -> str | None:
        """Why this target may not write to ``url`` (None = the ledger), or None if it may."""
        if self.allow_ledger_database or (url is not None
                                          and not same_database(url, ledger_url)):
            return None
        return (f"{where}: table target {self.table!r} would write into the ledger database; "
                "give it a url of its own, or set allow_ledger_database: true")


def same_database(a: str, b: str) -> bool:
    """Whether two SQLAlchemy URLs name the same database (SQLite paths made absolute)."""
    try:
        urls = [make_url(u) for u in (a, b)]
    except ArgumentError:
        return a.strip() == b.strip()
    keys = []
    for url in urls:
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and database and database != ":memory:":
            database = str(Path(database).absolute())
        keys.append((url.get_backend_name(), url.host, url.port, database))
    return keys[0] == keys[1]


class S3Target(S3Access):
    """Write the scrubbed file to ``s3://bucket/prefix/<client>/<feed>/<date>/<key slug>.csv``."""

    kind: Literal["s3"]
    bucket: str = Field(min_length=3)
    prefix: str = ""
    timeout_seconds: float = Field(default=60, gt=0)


DeliveryTarget = Annotated[DailyCsvTarget | TableTarget | S3Target, Field(discriminator="kind")]
SUPPORTED_DELIVERY_KINDS = frozenset({"daily_csv", "table", "s3"})


class LoggingConfig(Model):
    """Where logs go: ``config`` is a logging dictConfig YAML (default: the one shipped in
    ``pvt_dagster/tracking/logging.yaml``, or ``$PVT_LOGGING_CONFIG``); ``dir`` holds the log
    files (default: ``home/logs``)."""

    config: Path | None = None
    dir: Path | None = None
    enabled: bool = True
