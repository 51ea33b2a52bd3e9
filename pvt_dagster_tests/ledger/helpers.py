"""Small helpers shared by the ledger tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pvt_dagster.ledger import FileRecord, Ledger

T0 = datetime(2024, 5, 1, 12, 30, 45, tzinfo=UTC)


def new_file(ledger: Ledger, name: str = "members_1.csv.pgp", **overrides: Any) -> FileRecord:
    """A discovered file of acme/members with sensible defaults."""
    fields: dict[str, Any] = dict(client="acme", feed="members", source="dropbox", name=name,
                                  path=f"out/{name}", size=100, mtime=1714566645.5,
                                  first_seen=T0)
    fields.update(overrides)
    return ledger.create_file(**fields)
