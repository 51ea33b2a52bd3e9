"""The HTTPS Salesforce stand-in for tests: the product's demo stand-in
(``pvt_dagster.demo.salesforce.SalesforceStandIn``, simple-salesforce's REST calls for Cases)
on a free port, plus a record of every request body any stand-in received (for the PII scan at
the end of the session)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pvt_dagster.demo.salesforce import SalesforceStandIn as _StandIn
from pvt_dagster_tests.support.servers.common import free_port

#: Every request body any stand-in received in this session (for the PII scan at the end).
ALL_BODIES: list[str] = []


@dataclass
class SalesforceStandIn(_StandIn):
    """The product's stand-in on a free port; bodies also go to ``ALL_BODIES``."""

    port: int = field(default_factory=free_port)

    def record_body(self, raw: str) -> None:
        """Keep the body in the session-wide record."""
        ALL_BODIES.append(raw)
