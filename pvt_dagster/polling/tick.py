"""One discovery tick of one source, as plain Python: poll it, record a failed poll (message,
error registry, holds after repeated failures), let the ready files of held feeds wait, and
say which files should run now. The Dagster sensor only turns the result into run requests,
partitions, observations and log lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pvt_dagster.config.models import ClientConfig
from pvt_dagster.errors import PvtError, one_line
from pvt_dagster.ledger import FileRecord, Ledger
from pvt_dagster.ledger.tracking import HoldRecord
from pvt_dagster.polling.discovery import PollResult, poll_source
from pvt_dagster.sources.base import Source
from pvt_dagster.tracking import discovery_failed, discovery_succeeded, hold_file


@dataclass(frozen=True)
class HeldFeed:
    """A feed on hold: the hold, how many of its files wait, and which started to wait now."""

    feed: str
    hold: HoldRecord
    waiting: int
    newly_held: tuple[str, ...]

    def summary(self, client: str) -> str:
        """One line for the tick's skip reason."""
        return (f"{client}/{self.feed} since {self.hold.placed_at:%Y-%m-%d %H:%M}Z "
                f"({self.hold.reason}), release with `pvt holds release {client}/{self.feed}`")


@dataclass
class DiscoveryTick:
    """What one tick of a source did: the files to run, the feeds on hold, or why the source
    could not be polled (and the holds that placed)."""

    client: str
    source: str
    polled: PollResult | None = None
    error: str | None = None
    holds_placed: list[HoldRecord] = field(default_factory=list)
    to_run: list[FileRecord] = field(default_factory=list)
    held: list[HeldFeed] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what was listed, what waits, what is ready, and the feeds on hold."""
        if self.error is not None or self.polled is None:
            return f"source {self.client}/{self.source}: {self.error}"
        p = self.polled
        line = (f"listed {p.listed}, new {len(p.new)}, waiting {p.waiting}, "
                f"ready {len(p.ready)}, rejected {len(p.rejected)}")
        if self.held:
            line += "; ON HOLD: " + "; ".join(h.summary(self.client) for h in self.held)
        return line


def discovery_tick(ledger: Ledger, client: str, client_config: ClientConfig, source_name: str,
                   feeds: Sequence[str], open_source: Callable[[], Source], *, now: datetime,
                   tick: str) -> DiscoveryTick:
    """Poll ``source_name`` for ``feeds`` and decide what runs; never raises for a source that
    cannot be polled (the result says why, and the failure is recorded)."""
    result = DiscoveryTick(client, source_name)
    try:
        source = open_source()
        try:
            result.polled = poll_source(ledger=ledger, client=client,
                                        client_config=client_config, source_name=source_name,
                                        source=source, now=now)
        finally:
            source.close()
    except PvtError as exc:
        result.error = one_line(exc)
        ledger.record_message(
            dedupe_key=f"source:{client}/{source_name}:{result.error}", client=client,
            feed=None, file_key=None, stage="discovery", kind="source_unavailable",
            severity="failure", text=f"source {client}/{source_name} is not polled: "
                                     f"{result.error}")
        result.holds_placed = discovery_failed(ledger, client, source_name, list(feeds), exc,
                                               result.error, tick=tick)
        return result
    discovery_succeeded(ledger, client, source_name, tick=tick)
    holds = {h.feed: h for h in ledger.active_holds(client) if h.feed in feeds}
    newly_held: dict[str, list[str]] = {name: [] for name in holds}
    for record in result.polled.ready:
        if record.feed is None or record.feed not in feeds:
            continue
        if record.feed in holds:  # observed and recorded, but no run until released
            if hold_file(ledger, record, holds[record.feed]) is not None:
                newly_held[record.feed].append(record.key)
            continue
        result.to_run.append(record)
    for name, hold in sorted(holds.items()):
        waiting = len(ledger.list_files(client=client, feed=name, status="on_hold"))
        result.held.append(HeldFeed(name, hold, waiting, tuple(newly_held[name])))
    return result
