"""Arrival SLAs in Dagster: each feed's ``expect:`` is one of Dagster's own last-update
freshness checks on its raw asset ``[client, feed, <feed>_raw]`` (deadline cron in the
config's time zone, a file due since midnight of its day), evaluated by Dagster's
freshness-check sensor, so the UI shows a late feed as a failed check. OSS Dagster has no
sensor on check results, so the messages come from ``pvt__sla``, which evaluates the same SLA
from the ledger (``pvt_dagster.sla``): one ``sla_missed`` per feed and day, and
``sla_resolved`` when a late file arrives.

No ``from __future__ import annotations``: Dagster inspects the sensor functions."""

import contextlib
import datetime as dt
import warnings
from collections.abc import Iterator, Sequence

import dagster as dg

from pvt_dagster.config import FeedRef
from pvt_dagster.defs.names import asset_key_path
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.errors import PvtError, one_line, translated_errors
from pvt_dagster.ledger import utcnow
from pvt_dagster.sla import check_arrivals

SLA_SENSOR = "pvt__sla"
FRESHNESS_SENSOR = "pvt__freshness"


def build_freshness_checks(feeds: Sequence[FeedRef], timezone: str,
                           ) -> list[dg.AssetChecksDefinition]:
    """One last-update freshness check per feed with ``expect:``, on its raw asset."""
    checks: list[dg.AssetChecksDefinition] = []
    for feed in feeds:
        expect = feed.config.expect
        if expect is None:
            continue
        since_midnight = dt.timedelta(hours=expect.deadline.hour,
                                      minutes=expect.deadline.minute)
        severity = (dg.AssetCheckSeverity.ERROR if expect.severity in ("critical", "failure")
                    else dg.AssetCheckSeverity.WARN)
        with _superseded_ok():
            checks += dg.build_last_update_freshness_checks(
                assets=[dg.AssetKey(asset_key_path(feed, "raw"))],
                lower_bound_delta=since_midnight, deadline_cron=expect.cron,
                timezone=timezone, severity=severity)
    return checks


def build_freshness_sensor(checks: Sequence[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    """Dagster's sensor that runs the freshness checks when one may have become overdue."""
    with _superseded_ok():
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name=FRESHNESS_SENSOR, minimum_interval_seconds=60,
            default_status=dg.DefaultSensorStatus.RUNNING)


def build_sla_sensor(interval_seconds: int = 60) -> dg.SensorDefinition:
    """``pvt__sla``: queue the SLA messages of every feed with ``expect:``."""

    @dg.sensor(name=SLA_SENSOR, minimum_interval_seconds=interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Arrival SLAs (expect: in pvt.yaml): one sla_missed message per "
                           "feed and day whose file did not arrive by its deadline, and an "
                           "sla_resolved follow-up when it arrives late.")
    def sla(context: dg.SensorEvaluationContext, pvt: PvtIntakeResource) -> dg.SkipReason:
        """Evaluate every SLA now; the skip reason says how each feed stands."""
        intake = pvt.get()
        try:
            with translated_errors(SLA_SENSOR):
                done = check_arrivals(intake.ledger, intake.config, now=utcnow())
        except PvtError as exc:
            context.log.warning(f"SLAs not evaluated: {one_line(exc)}")
            return dg.SkipReason(f"SLAs not evaluated: {one_line(exc)}")
        summary = "; ".join(f"{a.feed.qualified_name} {a.day}: {a.state}" for a, _ in done)
        return dg.SkipReason(summary or "no feed has expect:")

    return sla


@contextlib.contextmanager
def _superseded_ok() -> Iterator[None]:
    """Dagster's freshness-check factories, without their notice that freshness policies
    supersede them: a policy has no deadline per weekday, which ``expect:`` needs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.SupersessionWarning)
        yield


