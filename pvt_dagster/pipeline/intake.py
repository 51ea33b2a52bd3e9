"""The Intake: one loaded config with its ledger and keystore, shared by the Dagster layer and
the ``pvt`` command so both run exactly the same stage code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pvt_dagster.config import load_config
from pvt_dagster.config.models import FeedRef, PvtConfig
from pvt_dagster.decrypt import Keystore
from pvt_dagster.errors import UsageError
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.pipeline.layout import HomeLayout
from pvt_dagster.sources import open_source
from pvt_dagster.sources.base import Source
from pvt_dagster.tracking import sync_registry


@dataclass
class Intake:
    """Config, ledger, keystore and home layout for one ``pvt.yaml``."""

    config: PvtConfig
    _ledger: Ledger | None = field(default=None, repr=False)

    @classmethod
    def from_path(cls, path: str | Path | None = None) -> Intake:
        """Load the config (see ``find_config_path``) and open its ledger lazily."""
        return cls(config=load_config(path))

    @cached_property
    def layout(self) -> HomeLayout:
        """Paths under the PVT home."""
        return HomeLayout(self.config.home)

    @property
    def ledger(self) -> Ledger:
        """The ledger, opened on first use and migrated (under a lock) if it is behind."""
        if self._ledger is None:
            self.layout.ensure_home()
            ledger = Ledger.for_config(self.config)
            if not ledger.is_up_to_date():
                ledger.upgrade()
            sync_registry(ledger, self.config)  # the process registry follows the config
            self._ledger = ledger
        return self._ledger

    @cached_property
    def keystore(self) -> Keystore:
        """The GnuPG keystore under the PVT home."""
        self.layout.ensure_home()
        return Keystore(self.config.gnupghome)

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

    def source(self, client: str, source_name: str) -> Source:
        """An open source of a client; SourceError if its kind is not supported."""
        return open_source(source_name, self.config.clients[client].sources[source_name])

    def close(self) -> None:
        """Release the ledger's connections and stop the keystore's gpg-agent if we used it."""
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        keystore = self.__dict__.pop("keystore", None)
        if keystore is not None:
            keystore.stop_agent()
