"""The product's fixed vocabularies, defined once: stages, file statuses and severities
(DESIGN.md "Statuses"). A leaf module: it imports nothing from pvt_dagster."""

from __future__ import annotations

from typing import Literal

#: The stages of a file, in order; a file's ``stage`` is the last one completed.
Stage = Literal["raw", "decrypted", "validated", "scrubbed", "delivered"]
STAGES: tuple[Stage, ...] = ("raw", "decrypted", "validated", "scrubbed", "delivered")

#: A file's status in the ledger.
Status = Literal["discovered", "received", "decrypted", "validated", "scrubbed", "delivered",
                 "failed", "rejected", "on_hold"]
STATUSES: tuple[Status, ...] = ("discovered", "received", "decrypted", "validated", "scrubbed",
                                "delivered", "failed", "rejected", "on_hold")

#: How serious a rule's finding is (column and file rules, check results), worst first.
RuleSeverity = Literal["failure", "warning", "information"]
RULE_SEVERITIES: tuple[RuleSeverity, ...] = ("failure", "warning", "information")

#: How serious a message is, worst first: a rule severity, or ``critical`` for what needs an
#: immediate message (a file left at its source after it was received).
Severity = Literal["critical", "failure", "warning", "information"]
SEVERITIES: tuple[Severity, ...] = ("critical", *RULE_SEVERITIES)
