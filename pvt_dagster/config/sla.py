"""A feed's arrival SLA (``expect:``) and a client's retention (``retention:``)."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from pvt_dagster.config.base import Model
from pvt_dagster.domain import Severity

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class ExpectConfig(Model):
    """When a feed's file is expected: by ``by`` (HH:MM in the config's ``timezone``) on each
    of ``days`` (default: every day); a miss is a message of ``severity``."""

    by: str
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    severity: Severity = "failure"  # of the sla_missed message (routes match on it)

    @field_validator("by")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value) or value == "00:00":
            raise ValueError(f"'{value}' is not a time of day HH:MM after 00:00 (e.g. \"09:00\")")
        return value

    @field_validator("days")
    @classmethod
    def _unique(cls, value: list[Weekday]) -> list[Weekday]:
        return sorted(set(value), key=WEEKDAYS.index)

    @property
    def deadline(self) -> time:
        """``by`` as a time of day."""
        hours, minutes = self.by.split(":")
        return time(int(hours), int(minutes))

    @property
    def cron(self) -> str:
        """The deadline as a cron expression (minute hour * * day-of-week, 0 = Sunday)."""
        days = ",".join(str((WEEKDAYS.index(d) + 1) % 7) for d in self.days)
        return f"{self.deadline.minute} {self.deadline.hour} * * {days}"


class RetentionConfig(Model):
    """How many days the vault, the work folders and the daily CSV outputs keep a final file's
    bytes (null: keep for ever)."""

    vault_days: int | None = Field(default=None, ge=0)
    work_days: int | None = Field(default=None, ge=0)
    outputs_days: int | None = Field(default=None, ge=0)

    @property
    def is_set(self) -> bool:
        """Whether anything is ever purged."""
        return any(v is not None for v in (self.vault_days, self.work_days, self.outputs_days))
