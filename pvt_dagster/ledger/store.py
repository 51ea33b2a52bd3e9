"""The Ledger: one object over the tracking database, assembled from its parts."""

from __future__ import annotations

from pvt_dagster.config import PvtConfig
from pvt_dagster.ledger import migrate
from pvt_dagster.ledger.checks import ChecksMixin
from pvt_dagster.ledger.events import EventsMixin
from pvt_dagster.ledger.files import FilesMixin
from pvt_dagster.ledger.jobs import JobsMixin
from pvt_dagster.ledger.observations import ObservationsMixin
from pvt_dagster.ledger.outbox import OutboxMixin
from pvt_dagster.ledger.push import PushMixin
from pvt_dagster.ledger.retention import RetentionMixin
from pvt_dagster.ledger.tracking import TrackingMixin


class Ledger(FilesMixin, EventsMixin, ChecksMixin, OutboxMixin, ObservationsMixin,
             TrackingMixin, JobsMixin, PushMixin, RetentionMixin):
    """The authoritative record: files, manifest chains, checks, scrubs, messages, actions,
    the outputs of processing jobs and refused uploads."""

    @classmethod
    def for_config(cls, cfg: PvtConfig) -> Ledger:
        """The ledger a loaded config names (SQLite in the PVT home by default)."""
        return cls(cfg.ledger_url)

    def upgrade(self) -> None:
        """Run pending migrations under a cross-process lock; idempotent."""
        migrate.upgrade(self.engine)

    def revision(self) -> str | None:
        """The migration revision the database is at (None before the first upgrade)."""
        return migrate.current_revision(self.engine)

    def is_up_to_date(self) -> bool:
        """Whether the database is at the newest migration shipped with this package."""
        return migrate.is_current(self.engine)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.safe_url!r})"
