"""Sources: where a client's files appear. ``open_source`` builds one from its config."""

from __future__ import annotations

from collections.abc import Callable

from pvt_dagster.config.models import LocalSource, SourceConfig
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


# One entry per source kind; each opener imports its client library lazily.
OPENERS: dict[str, Callable[[str, SourceConfig], Source]] = {
    "local": _open_local,
}


def open_source(name: str, config: SourceConfig) -> Source:
    """The Source for a source's config; SourceError for kinds not supported yet."""
    opener = OPENERS.get(config.kind)
    if opener is None:
        raise SourceError(f"source {name}: kind {config.kind} is not supported yet")
    return opener(name, config)
