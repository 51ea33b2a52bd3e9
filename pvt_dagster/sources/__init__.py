"""Sources: where a client's files appear. ``open_source`` builds one from its config."""

from __future__ import annotations

from collections.abc import Callable

from pvt_dagster.config.models import (
    HttpSource,
    ImapSource,
    LocalSource,
    S3Source,
    SourceConfig,
)
from pvt_dagster.errors import SourceError
from pvt_dagster.sources.base import EntryKind, RemoteEntry, Source, iter_chunks
from pvt_dagster.sources.local import LocalFolderSource

__all__ = [
    "EntryKind",
    "LocalFolderSource",
    "RemoteEntry",
    "Source",
    "iter_chunks",
    "open_source",
]


def _open_local(name: str, config: SourceConfig) -> Source:
    """A local folder source."""
    assert isinstance(config, LocalSource)
    return LocalFolderSource(name, config)


def _open_s3(name: str, config: SourceConfig) -> Source:
    """An S3 bucket (boto3, imported here)."""
    from pvt_dagster.sources.s3 import S3BucketSource

    assert isinstance(config, S3Source)
    return S3BucketSource(name, config)


def _open_imap(name: str, config: SourceConfig) -> Source:
    """Attachments in a mailbox (imaplib)."""
    from pvt_dagster.sources.imap import MailboxSource

    assert isinstance(config, ImapSource)
    return MailboxSource(name, config)


def _open_http(name: str, config: SourceConfig) -> Source:
    """The HTTP pull API (requests, imported here)."""
    from pvt_dagster.sources.http import PullApiSource

    assert isinstance(config, HttpSource)
    return PullApiSource(name, config)


def _open_sftp(name: str, config: SourceConfig) -> Source:
    """An SFTP server (paramiko, imported when it connects)."""
    from pvt_dagster.config.models import SftpSource
    from pvt_dagster.sources.sftp import SftpFolderSource

    assert isinstance(config, SftpSource)
    return SftpFolderSource(name, config)


def _open_ftp(name: str, config: SourceConfig) -> Source:
    """An FTP or FTPS server (ftplib)."""
    from pvt_dagster.config.models import FtpSource
    from pvt_dagster.sources.ftp import FtpFolderSource

    assert isinstance(config, FtpSource)
    return FtpFolderSource(name, config)


# One entry per source kind; each opener imports its client library lazily.
OPENERS: dict[str, Callable[[str, SourceConfig], Source]] = {
    "local": _open_local,
    "sftp": _open_sftp,
    "ftp": _open_ftp,
    "ftps": _open_ftp,
    "s3": _open_s3,
    "imap": _open_imap,
    "http": _open_http,
}


def open_source(name: str, config: SourceConfig) -> Source:
    """The Source for a source's config; SourceError for kinds not supported yet."""
    opener = OPENERS.get(config.kind)
    if opener is None:
        raise SourceError(f"source {name}: kind {config.kind} is not supported yet")
    return opener(name, config)
