"""Sources: where a client's files appear. ``open_source`` builds one from its config."""

from __future__ import annotations

import importlib
from typing import Any

from pvt_dagster.config import SourceConfig
from pvt_dagster.errors import SourceError
from pvt_dagster.sources.base import (
    DeliversWholeFiles,
    EntryKind,
    MarksSeen,
    RemoteEntry,
    Source,
    iter_chunks,
)
from pvt_dagster.sources.hostkeys import trust_host_key
from pvt_dagster.sources.local import LocalFolderSource
from pvt_dagster.sources.push import PushArea

__all__ = [
    "DeliversWholeFiles",
    "EntryKind",
    "LocalFolderSource",
    "MarksSeen",
    "PushArea",
    "RemoteEntry",
    "Source",
    "iter_chunks",
    "open_source",
    "trust_host_key",
]


# One entry per source kind: the module and class that implement it. A module is imported only
# when a source of its kind is opened, so paramiko, boto3 and the rest load only when used.
IMPLEMENTATIONS: dict[str, tuple[str, str]] = {
    "local": ("pvt_dagster.sources.local", "LocalFolderSource"),
    "sftp": ("pvt_dagster.sources.sftp", "SftpFolderSource"),
    "ftp": ("pvt_dagster.sources.ftp", "FtpFolderSource"),
    "ftps": ("pvt_dagster.sources.ftp", "FtpFolderSource"),
    "s3": ("pvt_dagster.sources.s3", "S3BucketSource"),
    "imap": ("pvt_dagster.sources.imap", "MailboxSource"),
    "http": ("pvt_dagster.sources.http", "PullApiSource"),
    "push": ("pvt_dagster.sources.push", "PushAreaSource"),
}


def open_source(name: str, config: SourceConfig, *, area: PushArea | None = None) -> Source:
    """The Source for a source's config (a push source also needs its ``area`` under the PVT
    home); SourceError for kinds not supported yet."""
    implementation = IMPLEMENTATIONS.get(config.kind)
    if implementation is None:
        raise SourceError(f"source {name}: kind {config.kind} is not supported yet")
    extra: dict[str, Any] = {}
    if config.kind == "push":
        if area is None:
            raise SourceError(f"source {name}: a push source opens with its area")
        extra["area"] = area
    module, cls = implementation
    source: Source = getattr(importlib.import_module(module), cls)(name, config, **extra)
    return source
