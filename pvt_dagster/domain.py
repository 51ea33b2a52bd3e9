"""The product's fixed vocabularies, defined once: stages, file statuses and severities
(DESIGN.md "Statuses"), and the helpers that turn stored text back into them. A leaf module: it
imports nothing from pvt_dagster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeGuard, TypeVar

#: The stages of a file, in order; a file's ``stage`` is the last one completed.
Stage = Literal["raw", "decrypted", "validated", "scrubbed", "delivered"]
STAGES: tuple[Stage, ...] = ("raw", "decrypted", "validated", "scrubbed", "delivered")

#: Where a message or a registered error comes from: a file's stage, ``discovery`` (the poll
#: of a source, before any stage of a file ran), ``job`` (a processing job) or ``sla`` (a
#: feed's arrival SLA).
MessageStage = Literal[Stage, "discovery", "job", "sla"]
MESSAGE_STAGES: tuple[MessageStage, ...] = (*STAGES, "discovery", "job", "sla")

#: The messages of a feed's arrival SLA: its file did not arrive by the deadline, and (once
#: a late file arrives) the follow-up that resolves it.
SlaMessageKind = Literal["sla_missed", "sla_resolved"]
SLA_MESSAGE_KINDS: tuple[SlaMessageKind, ...] = ("sla_missed", "sla_resolved")

#: What retention purges of a final file: its vault copy, its work files, its daily CSV.
PurgeArea = Literal["vault", "work", "outputs"]
PURGE_AREAS: tuple[PurgeArea, ...] = ("vault", "work", "outputs")

#: What a registered process runs: one stage of a feed, ``discover`` (one source's polling) or
#: ``job`` (a processing job).
ProcessStage = Literal[Stage, "discover", "job"]
PROCESS_STAGES: tuple[ProcessStage, ...] = (*STAGES, "discover", "job")

#: The phases a file's check results are recorded in: validation, and the re-check of the
#: scrubbed output.
Phase = Literal["validated", "scrubbed"]
CHECK_PHASES: tuple[Phase, ...] = ("validated", "scrubbed")

#: A file's status in the ledger.
Status = Literal["discovered", "received", "decrypted", "validated", "scrubbed", "delivered",
                 "failed", "rejected", "on_hold"]
STATUSES: tuple[Status, ...] = ("discovered", "received", "decrypted", "validated", "scrubbed",
                                "delivered", "failed", "rejected", "on_hold")

#: A process run (one stage attempt of a file, or a poll of a source).
RunStatus = Literal["running", "completed", "failed", "on_hold"]
PROCESS_RUN_STATUSES: tuple[RunStatus, ...] = ("running", "completed", "failed", "on_hold")

#: A hold on a feed.
HoldStatus = Literal["active", "released"]
HOLD_STATUSES: tuple[HoldStatus, ...] = ("active", "released")

#: An outbox message: pending while one of its channels is still open.
MessageStatus = Literal["pending", "sent", "failed"]
MESSAGE_STATUSES: tuple[MessageStatus, ...] = ("pending", "sent", "failed")

#: One send of a message on one channel (or of a digest email): ``sending`` while claimed,
#: ``batched`` once a digest holds it.
SendStatus = Literal["pending", "sending", "batched", "sent", "failed"]
SEND_STATUSES: tuple[SendStatus, ...] = ("pending", "sending", "batched", "sent", "failed")

#: How serious a rule's finding is (column and file rules, check results), worst first.
RuleSeverity = Literal["failure", "warning", "information"]
RULE_SEVERITIES: tuple[RuleSeverity, ...] = ("failure", "warning", "information")

#: How serious a message is, worst first: a rule severity, or ``critical`` for what needs an
#: immediate message (a file left at its source after it was received).
Severity = Literal["critical", "failure", "warning", "information"]
SEVERITIES: tuple[Severity, ...] = ("critical", *RULE_SEVERITIES)

_Word = TypeVar("_Word", bound=str)


def _lookup(values: tuple[_Word, ...]) -> Mapping[str, _Word]:
    """Each value of a vocabulary by its text (a dict: stored rows are read by thousands)."""
    return {value: value for value in values}


_STAGE = _lookup(STAGES)
_MESSAGE_STAGE = _lookup(MESSAGE_STAGES)
_PROCESS_STAGE = _lookup(PROCESS_STAGES)
_PHASE = _lookup(CHECK_PHASES)
_STATUS = _lookup(STATUSES)
_RUN_STATUS = _lookup(PROCESS_RUN_STATUSES)
_HOLD_STATUS = _lookup(HOLD_STATUSES)
_MESSAGE_STATUS = _lookup(MESSAGE_STATUSES)
_SEND_STATUS = _lookup(SEND_STATUSES)
_RULE_SEVERITY = _lookup(RULE_SEVERITIES)
_SEVERITY = _lookup(SEVERITIES)


def _word(table: Mapping[str, _Word], text: str, what: str) -> _Word:
    """The vocabulary value spelled ``text``; a ValueError naming the allowed values if none."""
    try:
        return table[text]
    except KeyError:
        raise ValueError(f"unknown {what} {text!r} (expected one of: "
                         f"{', '.join(table)})") from None


def as_stage(text: str) -> Stage:
    """``text`` as a file stage; ValueError for anything else."""
    return _word(_STAGE, text, "stage")


def as_message_stage(text: str) -> MessageStage:
    """``text`` as the stage of a message or registered error (a file stage or
    ``discovery``); ValueError for anything else."""
    return _word(_MESSAGE_STAGE, text, "message stage")


def as_process_stage(text: str) -> ProcessStage:
    """``text`` as the stage of a registered process (a file stage or ``discover``);
    ValueError for anything else."""
    return _word(_PROCESS_STAGE, text, "process stage")


def as_phase(text: str) -> Phase:
    """``text`` as a check phase (validated, scrubbed); ValueError for anything else."""
    return _word(_PHASE, text, "check phase")


def as_status(text: str) -> Status:
    """``text`` as a file status; ValueError for anything else."""
    return _word(_STATUS, text, "file status")


def as_run_status(text: str) -> RunStatus:
    """``text`` as a process run status; ValueError for anything else."""
    return _word(_RUN_STATUS, text, "process run status")


def as_hold_status(text: str) -> HoldStatus:
    """``text`` as a hold status (active, released); ValueError for anything else."""
    return _word(_HOLD_STATUS, text, "hold status")


def as_message_status(text: str) -> MessageStatus:
    """``text`` as a message status (pending, sent, failed); ValueError for anything else."""
    return _word(_MESSAGE_STATUS, text, "message status")


def as_send_status(text: str) -> SendStatus:
    """``text`` as the status of one channel send; ValueError for anything else."""
    return _word(_SEND_STATUS, text, "send status")


def as_rule_severity(text: str) -> RuleSeverity:
    """``text`` as a rule severity (failure, warning, information); ValueError otherwise."""
    return _word(_RULE_SEVERITY, text, "rule severity")


def as_severity(text: str) -> Severity:
    """``text`` as a message severity (critical or a rule severity); ValueError otherwise."""
    return _word(_SEVERITY, text, "severity")


def is_stage(text: object) -> TypeGuard[Stage]:
    """Whether ``text`` is a file stage (for text that may legitimately be something else,
    such as the last part of a step name)."""
    return isinstance(text, str) and text in _STAGE
