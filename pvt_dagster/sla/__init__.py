"""Arrival SLAs: whether each feed's file arrived by its ``expect:`` deadline, and the
``sla_missed`` / ``sla_resolved`` messages that say so (plain Python, a clock injected)."""

from __future__ import annotations

from pvt_dagster.sla.arrivals import (
    SLA_MISSED,
    SLA_RESOLVED,
    Arrival,
    check_arrivals,
    evaluate_arrival,
    latest_deadline,
)

__all__ = ["SLA_MISSED", "SLA_RESOLVED", "Arrival", "check_arrivals", "evaluate_arrival",
           "latest_deadline"]
