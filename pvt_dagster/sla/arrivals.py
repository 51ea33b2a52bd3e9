"""A feed's file is due by ``expect.by`` on each of ``expect.days`` (in the config's time
zone). A file received into the vault that day by the deadline is on time; none by then is a
miss (one ``sla_missed`` message per feed and day, however often this runs); a file received
later that day is late and resolves the miss (one ``sla_resolved`` message, which closes the
Salesforce Case the miss opened)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pvt_dagster.config import WEEKDAYS, ExpectConfig, FeedRef, PvtConfig
from pvt_dagster.domain import SlaMessageKind
from pvt_dagster.ledger import Ledger, MessageRecord, ensure_utc

SLA_MISSED: SlaMessageKind = "sla_missed"
SLA_RESOLVED: SlaMessageKind = "sla_resolved"
ArrivalState = Literal["on_time", "late", "missed"]


@dataclass(frozen=True)
class Arrival:
    """How a feed did against its latest passed deadline: the day, the deadline (UTC), the
    first file received that day (key and time, if any) and the resulting state."""

    feed: FeedRef
    day: date
    deadline: datetime
    state: ArrivalState
    file_key: str | None = None
    arrived_at: datetime | None = None


def latest_deadline(expect: ExpectConfig, now: datetime, zone: ZoneInfo
                    ) -> tuple[date, datetime] | None:
    """The expected day whose deadline is the latest one at or before ``now``, and that
    deadline (aware, in ``zone``); None if no deadline passed in the last eight days."""
    local = ensure_utc(now).astimezone(zone)
    for back in range(8):
        day = local.date() - timedelta(days=back)
        if WEEKDAYS[day.weekday()] not in expect.days:
            continue
        deadline = datetime.combine(day, expect.deadline, tzinfo=zone)
        if deadline <= local:
            return day, deadline
    return None


def evaluate_arrival(ledger: Ledger, feed: FeedRef, *, now: datetime, timezone: str
                     ) -> Arrival | None:
    """The feed's standing against its latest passed deadline (None without ``expect:``)."""
    expect = feed.config.expect
    if expect is None:
        return None
    zone = ZoneInfo(timezone)
    found = latest_deadline(expect, now, zone)
    if found is None:
        return None
    day, deadline = found
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    files = ledger.arrivals(feed.client, feed.name, start, min(end, ensure_utc(now)))
    received = [(f.key, ensure_utc(f.received_at)) for f in files if f.received_at]
    if not received:
        return Arrival(feed, day, deadline, "missed")
    key, at = received[0]
    return Arrival(feed, day, deadline, "on_time" if at <= deadline else "late", key, at)


def _dedupe(kind: str, feed: FeedRef, day: date) -> str:
    return f"{kind}:{feed.qualified_name}:{day.isoformat()}"


def record_arrival(ledger: Ledger, arrival: Arrival, *, timezone: str) -> MessageRecord | None:
    """Queue the message an arrival calls for: a miss, or the follow-up of a late file whose
    day had a miss (each at most once per feed and day); None when there is nothing to say."""
    feed, day = arrival.feed, arrival.day
    expect = feed.config.expect
    assert expect is not None
    by = f"{expect.by} {timezone}"
    if arrival.state == "missed":
        return ledger.record_message(
            dedupe_key=_dedupe(SLA_MISSED, feed, day), client=feed.client, feed=feed.name,
            file_key=None, stage="sla", kind=SLA_MISSED, severity=expect.severity,
            text=f"no {feed.qualified_name} file arrived by {by} on {day:%a %Y-%m-%d} "
                 "(expect: in pvt.yaml)",
            details={"day": day.isoformat(), "by": expect.by, "timezone": timezone,
                     "deadline": arrival.deadline})
    if arrival.state != "late":
        return None
    missed = ledger.message_by_dedupe(_dedupe(SLA_MISSED, feed, day))
    if missed is None:
        return None
    return ledger.record_message(
        dedupe_key=_dedupe(SLA_RESOLVED, feed, day), client=feed.client, feed=feed.name,
        file_key=arrival.file_key, stage="sla", kind=SLA_RESOLVED, severity="information",
        text=f"the {feed.qualified_name} file due by {by} on {day:%a %Y-%m-%d} arrived late, "
             f"at {arrival.arrived_at:%H:%M}Z: {arrival.file_key}",
        details={"day": day.isoformat(), "resolves": missed.id,
                 "arrived_at": arrival.arrived_at})


def check_arrivals(ledger: Ledger, config: PvtConfig, *, now: datetime
                   ) -> list[tuple[Arrival, MessageRecord | None]]:
    """Evaluate every feed with ``expect:`` at ``now`` and queue what each calls for."""
    done: list[tuple[Arrival, MessageRecord | None]] = []
    for feed in config.feeds():
        arrival = evaluate_arrival(ledger, feed, now=now, timezone=config.timezone)
        if arrival is not None:
            done.append((arrival, record_arrival(ledger, arrival, timezone=config.timezone)))
    return done
