"""The Intake: one loaded config with its ledger and keystore, shared by the Dagster layer and
the ``pvt`` command so both run exactly the same stage code."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pvt_dagster.config import FeedRef, Keep, LocalSource, PvtConfig, SourceConfig, load_config
from pvt_dagster.decrypt import Keystore
from pvt_dagster.errors import UsageError
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.layout import HomeLayout
from pvt_dagster.sources import PushArea, Source, open_source
from pvt_dagster.storage import StageStore, open_store
from pvt_dagster.tracking import sync_registry

#: The source of files handed over with ``pvt ingest`` (not an identifier, so no configured
#: source can have this name): the file's own folder, where the file is left as it is.
INGEST_SOURCE = "_ingest"


def handed_over(path: Path) -> tuple[Source, str]:
    """An open source over a handed-over file's folder, and the file's path in it."""
    config = LocalSource(kind="local", path=str(path.parent), after_transfer=Keep())
    return open_source(INGEST_SOURCE, config), path.name


@dataclass
class Intake:
    """Config, ledger, keystore and home layout for one ``pvt.yaml``. The ledger and keystore
    open on first use, under a lock (threads may share an Intake)."""

    config: PvtConfig
    _ledger: Ledger | None = field(default=None, repr=False)
    _keystore: Keystore | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_path(cls, path: str | Path | None = None) -> Intake:
        """Load the config (see ``find_config_path``) and open its ledger lazily."""
        return cls(config=load_config(path))

    @cached_property
    def store(self) -> StageStore:
        """Where the vault and stage outputs are stored: the home, or object storage."""
        return open_store(self.config)

    @cached_property
    def layout(self) -> HomeLayout:
        """Paths of the PVT home and of the stage files (in a scratch folder when they are
        stored as objects)."""
        store = self.store
        return HomeLayout(self.config.home, None if store.is_local else store.root)

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use and migrated (under a lock) if it is behind."""
        with self._lock:
            if self._ledger is None:
                self.layout.ensure_home()
                ledger = Ledger.for_config(self.config)
                if not ledger.is_up_to_date():
                    ledger.upgrade()
                sync_registry(ledger, self.config)  # the process registry follows the config
                self._ledger = ledger
            return self._ledger

    @property
    def keystore(self) -> Keystore:
        """The GnuPG keystore, opened on first use."""
        with self._lock:
            if self._keystore is None:
                self.layout.ensure_home()
                self._keystore = Keystore(self.config.gnupghome)
            return self._keystore

    def feed(self, client: str, feed: str | None) -> FeedRef:
        """A feed by name; UsageError if the config does not declare it."""
        if feed is None or client not in self.config.clients:
            raise UsageError(f"unknown feed {client}/{feed}")
        if feed not in self.config.clients[client].feeds:
            raise UsageError(f"unknown feed {client}/{feed}")
        return self.config.feed(client, feed)

    def parse_feed_name(self, qualified: str) -> FeedRef:
        """A feed from ``client/feed`` text; UsageError if malformed or unknown."""
        client, sep, feed = qualified.partition("/")
        if not sep:
            raise UsageError(f"a feed is named client/feed, not {qualified!r}")
        return self.feed(client, feed)

    def feed_of(self, record: FileRecord) -> FeedRef:
        """The feed a file belongs to."""
        return self.feed(record.client, record.feed)

    def push_area(self, client: str, source_name: str) -> PushArea:
        """The area under the PVT home where a push source's uploads land."""
        return PushArea.of(self.config.home, client, source_name)

    def source(self, client: str, source_name: str) -> Source:
        """An open source of a client; SourceError if its kind is not supported."""
        return open_source(source_name, self.config.clients[client].sources[source_name],
                           area=self.push_area(client, source_name))

    def source_config_of(self, record: FileRecord) -> SourceConfig:
        """The config of the source a file came from (a handed-over file's is its folder,
        kept as it is)."""
        if record.source == INGEST_SOURCE:
            return LocalSource(kind="local", path=str(Path(record.path).parent),
                               after_transfer=Keep())
        return self.config.clients[record.client].sources[record.source]

    def source_of(self, record: FileRecord) -> tuple[Source, str]:
        """An open source the file came from, and the file's path in it."""
        if record.source == INGEST_SOURCE:
            return handed_over(Path(record.path))
        return self.source(record.client, record.source), record.path

    def close(self, *, stop_agent: bool = True) -> None:
        """Release the ledger's connections, and stop the keystore's gpg-agent if we used it
        (unless ``stop_agent`` is False: other processes may be using the same keystore)."""
        with self._lock:
            ledger, keystore = self._ledger, self._keystore
            self._ledger = self._keystore = None
            store = self.__dict__.pop("store", None)
            self.__dict__.pop("layout", None)
        if store is not None:
            store.close()
        if ledger is not None:
            ledger.close()
        if keystore is not None and stop_agent:
            keystore.stop_agent()
