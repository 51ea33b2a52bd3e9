"""The communication manager: messages in the ledger's outbox are routed (``notify.routes``)
to channels (log, email, digest, Salesforce) and delivered exactly once per channel."""

from __future__ import annotations

from pvt_dagster.comms.channels import Channel, channel_problem, parse_channel
from pvt_dagster.comms.dispatcher import Dispatcher, DispatchReport
from pvt_dagster.comms.failures import report_run_failure, report_step_failure
from pvt_dagster.comms.resolution import record_recoveries, record_recovery
from pvt_dagster.comms.routing import route

__all__ = [
    "Channel",
    "DispatchReport",
    "Dispatcher",
    "channel_problem",
    "parse_channel",
    "record_recoveries",
    "record_recovery",
    "report_run_failure",
    "report_step_failure",
    "route",
]
