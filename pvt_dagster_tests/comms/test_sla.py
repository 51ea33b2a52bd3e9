"""Arrival SLAs with a fake clock (``now`` injected, no waiting until 09:00): a miss is one
``sla_missed`` message per feed and day however often it is evaluated, an on-time file is
none, a late file sends one ``sla_resolved`` follow-up that closes the miss's Salesforce Case
(through the real dispatcher and the HTTPS stand-in), deadlines follow the time zone and the
weekdays of ``expect:``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from pvt_dagster.comms import Dispatcher
from pvt_dagster.config.models import ExpectConfig, PvtConfig
from pvt_dagster.ledger import Ledger
from pvt_dagster.sla import SLA_MISSED, SLA_RESOLVED, check_arrivals
from pvt_dagster_tests.comms.conftest import Clock, notify
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn

# Monday 2026-11-23; New York is UTC-5 then, so 09:00 there is 14:00 UTC.
MONDAY_0900_NY = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _config(expect: dict[str, Any] | None, *, timezone: str = "America/New_York"
            ) -> PvtConfig:
    feed: dict[str, Any] = {"source": "drop", "pattern": "members_*.csv", "decrypt": "none"}
    if expect is not None:
        feed["expect"] = expect
    return PvtConfig.model_validate({"timezone": timezone, "clients": {"acme": {
        "sources": {"drop": {"kind": "local", "path": "/tmp", "after_transfer": "keep"}},
        "feeds": {"members": feed, "claims": {**feed, "pattern": "claims_*"}}}}})


def _arrive(ledger: Ledger, at: datetime, name: str = "members_a.csv") -> str:
    record = ledger.create_file(client="acme", feed="members", source="drop", name=name,
                                path=f"/tmp/{name}", size=10, mtime=at.timestamp(),
                                first_seen=at)
    ledger.update_file(record.key, status="delivered", stage="delivered", received_at=at)
    return record.key


def _sla_messages(ledger: Ledger) -> list[tuple[str, str | None, str]]:
    return [(m.kind, m.feed, str(m.details.get("day")))
            for m in ledger.messages() if m.stage == "sla"]


WEEKDAYS = {"by": "09:00", "days": ["mon", "tue", "wed", "thu", "fri"]}


def test_a_miss_is_one_message_per_feed_and_day_however_often_evaluated(
        ledger: Ledger) -> None:
    config = _config(WEEKDAYS)
    now = MONDAY_0900_NY - timedelta(minutes=1)
    check_arrivals(ledger, config, now=now)  # Monday 08:59 in New York: Friday's deadline
    assert _sla_messages(ledger) == [(SLA_MISSED, "members", "2026-11-20"),
                                     (SLA_MISSED, "claims", "2026-11-20")]
    for minutes in range(0, 24 * 60, 7):  # every 7 minutes through Monday
        check_arrivals(ledger, config, now=MONDAY_0900_NY + timedelta(minutes=minutes))
    monday = [m for m in _sla_messages(ledger) if m[2] == "2026-11-23"]
    assert monday == [(SLA_MISSED, "members", "2026-11-23"),
                      (SLA_MISSED, "claims", "2026-11-23")]
    (message,) = [m for m in ledger.messages() if m.dedupe_key ==
                  "sla_missed:acme/members:2026-11-23"]
    assert message.severity == "failure" and message.file_key is None
    assert "no acme/members file arrived by 09:00 America/New_York on Mon 2026-11-23" \
        in message.text
    # Saturday and Sunday expect nothing: the weekend adds no message.
    saturday = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    before = len(ledger.messages())
    check_arrivals(ledger, config, now=saturday)
    check_arrivals(ledger, config, now=saturday + timedelta(days=1))
    assert len(ledger.messages()) == before + 2  # Friday the 27th, once per feed
    assert {m[2] for m in _sla_messages(ledger)[-2:]} == {"2026-11-27"}


def test_a_file_on_time_gives_no_message_and_the_deadline_follows_the_time_zone(
        ledger: Ledger) -> None:
    config = _config({"by": "09:00"})
    _arrive(ledger, MONDAY_0900_NY - timedelta(hours=1))  # 08:00 in New York
    done = check_arrivals(ledger, config, now=MONDAY_0900_NY + timedelta(minutes=5))
    states = {a.feed.name: (a.state, a.day.isoformat()) for a, _ in done}
    assert states == {"members": ("on_time", "2026-11-23"), "claims": ("missed", "2026-11-23")}
    assert _sla_messages(ledger) == [(SLA_MISSED, "claims", "2026-11-23")]
    # The same instant is past 09:00 in UTC: a file at 13:00 UTC counts for Monday there.
    utc = _config({"by": "09:00"}, timezone="UTC")
    (members, _claims) = check_arrivals(ledger, utc, now=MONDAY_0900_NY)
    assert (members[0].state, members[0].deadline.hour) == ("late", 9)


def test_a_late_file_resolves_the_miss_and_closes_its_case(
        ledger: Ledger, salesforce: SalesforceStandIn, clock: Clock) -> None:
    config = _config({**WEEKDAYS, "days": ["mon"]})
    routes = [{"match": {"severity": "failure"}, "send": ["salesforce"]}]
    dispatcher = Dispatcher(ledger, notify(org=salesforce, routes=routes), clock=clock)
    check_arrivals(ledger, config, now=MONDAY_0900_NY + timedelta(minutes=30))
    assert dispatcher.run_once().sent == 2  # one Case per feed and day
    cases = {c["PVT_Key__c"]: c for c in salesforce.cases()}
    case = cases["acme~members~2026-11-23~sla_missed"]
    assert case["Status"] == "New" and case["Priority"] == "High"
    assert "no acme/members file arrived by 09:00" in case["Description"]

    key = _arrive(ledger, MONDAY_0900_NY + timedelta(hours=1, minutes=15))  # 10:15 there
    for minutes in (90, 95, 300):
        check_arrivals(ledger, config, now=MONDAY_0900_NY + timedelta(minutes=minutes))
    resolved = [m for m in ledger.messages() if m.kind == SLA_RESOLVED]
    assert len(resolved) == 1
    (follow_up,) = resolved
    missed = ledger.message_by_dedupe("sla_missed:acme/members:2026-11-23")
    assert missed is not None and follow_up.details["resolves"] == missed.id
    assert follow_up.file_key == key and follow_up.severity == "information"
    assert "arrived late, at 15:15Z" in follow_up.text
    clock.advance(minutes=5)
    dispatcher.run_once()
    statuses = {d.channel: d.status for d in ledger.deliveries_of(follow_up.id)}
    assert statuses == {"log": "sent", "salesforce": "sent"}  # no route: log, and the Case
    cases = {c["PVT_Key__c"]: c for c in salesforce.cases()}
    assert cases["acme~members~2026-11-23~sla_missed"]["Status"] == "Closed"
    assert cases["acme~claims~2026-11-23~sla_missed"]["Status"] == "New"
    assert len(cases) == 2  # the follow-up opened no Case of its own


def test_expect_is_checked_when_the_config_loads() -> None:
    assert ExpectConfig(by="09:00", days=["fri", "mon", "mon"]).cron == "0 9 * * 1,5"
    assert ExpectConfig(by="17:30").cron == "30 17 * * 1,2,3,4,5,6,0"
    for bad in ({"by": "9am"}, {"by": "24:00"}, {"by": "00:00"},
                {"by": "09:00", "days": ["monday"]}, {"by": "09:00", "days": []}):
        with pytest.raises(ValidationError):
            ExpectConfig.model_validate(bad)
