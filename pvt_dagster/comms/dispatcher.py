"""The dispatcher: routes pending messages, then delivers each to each of its channels exactly
once, with retries and exponential backoff, state in the ledger (so a restart resends nothing).

Claim, send, mark: a delivery is claimed in its own transaction before it is sent. If the
process dies after the send and before the mark, the claim goes stale and the send is retried
after ``claim_timeout_seconds``: Salesforce upserts by external id, so that retry updates the
same Case; an email is sent again with the same Message-ID recorded before the first send
(at-least-once in that window only; SMTP offers no way to ask whether a message arrived)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pvt_dagster.comms.channels import parse_channel
from pvt_dagster.comms.email import SmtpSender, new_message_id
from pvt_dagster.comms.render import case_fields, digest_email, message_email, resolution_text
from pvt_dagster.comms.resolution import RESOLVED, record_recoveries
from pvt_dagster.comms.routing import route
from pvt_dagster.comms.salesforce import SalesforceCases, external_id
from pvt_dagster.config import NotifyConfig
from pvt_dagster.domain import Severity
from pvt_dagster.errors import ChannelRejectedError, ChannelUnavailableError, PvtError
from pvt_dagster.ledger import DeliveryRecord, Ledger, MessageRecord, utcnow
from pvt_dagster.masking import mask_pii
from pvt_dagster.sla import SLA_RESOLVED

_LEVELS: dict[Severity, int] = {"critical": logging.CRITICAL, "failure": logging.ERROR,
                                "warning": logging.WARNING}


class _NotYet(Exception):
    """The delivery must wait for another one (a Case must exist before it is closed)."""


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    routed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    digests: int = 0
    resolved: int = 0

    def summary(self) -> str:
        """One line for the sensor's log and skip reason."""
        return (f"routed {self.routed}, sent {self.sent}, retrying {self.retrying}, "
                f"failed {self.failed}, digests {self.digests}, resolved {self.resolved}")


class Dispatcher:
    """One pass at a time over the outbox of a ledger, with the config's channels."""

    def __init__(self, ledger: Ledger, notify: NotifyConfig, *,
                 clock: Callable[[], datetime] = utcnow,
                 log: logging.Logger | None = None) -> None:
        self.ledger, self.notify, self.clock = ledger, notify, clock
        self.log = log or logging.getLogger("pvt_dagster.comms")
        self.smtp = SmtpSender(notify.email) if notify.email else None
        self.cases = SalesforceCases(notify.salesforce) if notify.salesforce else None
        self._down: set[str] = set()

    # --- one pass ----------------------------------------------------------------------
    def run_once(self) -> DispatchReport:
        """Note recovered files, route new messages, batch due digests, send what is due."""
        report = DispatchReport()
        self._down = set()
        report.resolved = record_recoveries(self.ledger)
        now = self.clock()
        for message in self.ledger.unrouted_messages():
            self.ledger.route_message(message.id, self._channels(message), at=now)
            report.routed += 1
        cutoff = now - timedelta(minutes=self.notify.digest_minutes)
        for channel in self.ledger.digest_channels_due(cutoff):
            if self.ledger.open_digest(channel, at=now, idempotency_key=self._new_id()):
                report.digests += 1
        stale = now - timedelta(seconds=self.notify.retry.claim_timeout_seconds)
        for delivery in self.ledger.due_deliveries(now=now, stale_before=stale):
            self._attempt(delivery, report, stale)
        for digest in self.ledger.due_digests(now=now, stale_before=stale):
            self._attempt(digest, report, stale)
        return report

    def _new_id(self) -> str:
        return new_message_id(self.notify.email.sender if self.notify.email else "")

    def _channels(self, message: MessageRecord) -> dict[str, str]:
        """Channel name -> idempotency key, recorded before anything is sent."""
        names = route(message, self.notify.routes)
        if message.kind == RESOLVED and message.file_key and "salesforce" not in names and \
                self.ledger.file_deliveries(message.file_key, "salesforce"):
            names.append("salesforce")  # close the Case its problems opened
        if message.kind == SLA_RESOLVED and "salesforce" not in names and \
                self._resolved_cases(message):
            names.append("salesforce")  # close the Case the miss opened
        keys: dict[str, str] = {}
        for name in names:
            kind = name.partition(":")[0]
            keys[name] = (self._new_id() if kind == "email" else
                          external_id(message) if kind == "salesforce" else
                          f"{kind}:{message.id}")
        return keys

    # --- one attempt -------------------------------------------------------------------
    def _attempt(self, delivery: DeliveryRecord, report: DispatchReport,
                 stale: datetime) -> None:
        transport = _transport(delivery.channel)
        if transport in self._down:
            return
        now = self.clock()
        claimed = self.ledger.claim(delivery, now=now, stale_before=stale)
        if claimed is None:
            return
        try:
            external = self._send(claimed)
        except _NotYet as exc:
            self.ledger.mark_failed(claimed, str(exc), retry_at=now + self._delay(1))
            return
        except ChannelRejectedError as exc:
            self.ledger.mark_failed(claimed, str(exc), retry_at=None)
            self.log.error(f"{self._label(claimed)}: not delivered, given up: {exc}")
            report.failed += 1
            return
        except Exception as exc:
            error = str(exc) if isinstance(exc, PvtError) else \
                f"internal error ({type(exc).__name__})"
            retry_at = now + self._delay(claimed.attempts)
            self.ledger.mark_failed(claimed, error, retry_at=retry_at)
            if isinstance(exc, ChannelUnavailableError):
                self._down.add(transport)
                self.ledger.defer_channel(claimed.channel, retry_at)
            self.log.warning(f"{self._label(claimed)}: attempt {claimed.attempts} failed, "
                             f"next at {retry_at.isoformat(timespec='seconds')}: {error}")
            report.retrying += 1
            return
        self.ledger.mark_sent(claimed, at=self.clock(), external_id=external)
        report.sent += 1

    def _delay(self, attempts: int) -> timedelta:
        retry = self.notify.retry
        seconds = min(retry.initial_seconds * 2 ** max(attempts - 1, 0), retry.max_seconds)
        return timedelta(seconds=seconds)

    def _label(self, delivery: DeliveryRecord) -> str:
        what = f"message {delivery.message_id}" if delivery.message_id is not None else \
            f"digest {delivery.id}"
        return f"{delivery.channel}: {what}"

    def _send(self, delivery: DeliveryRecord) -> str | None:
        """Send on the delivery's channel; returns the external id (Message-ID, Case id)."""
        channel = parse_channel(delivery.channel)
        if delivery.message_id is None:
            messages = self.ledger.digest_messages(delivery.id)
            text = digest_email(messages, self.notify.ui_base_url)
            return self._smtp().send(to=channel.address or "", text=text,
                                     message_id=delivery.idempotency_key)
        message = self.ledger.message(delivery.message_id)
        if channel.kind == "log":
            line = mask_pii(f"[{message.severity}] {message.client or '-'}/"
                            f"{message.feed or '-'} {message.kind}: {message.text}")
            self.log.log(_LEVELS.get(message.severity, logging.INFO), line)
            return None
        if channel.kind == "email":
            return self._smtp().send(to=channel.address or "",
                                     text=message_email(message, self.notify.ui_base_url),
                                     message_id=delivery.idempotency_key)
        if channel.kind == "salesforce":
            return self._salesforce(message, delivery)
        raise ChannelRejectedError(f"channel {delivery.channel} cannot send single messages")

    def _smtp(self) -> SmtpSender:
        if self.smtp is None:
            raise ChannelUnavailableError("email: pvt.yaml has no notify.email block")
        return self.smtp

    def _salesforce(self, message: MessageRecord, delivery: DeliveryRecord) -> str:
        if self.cases is None:
            raise ChannelUnavailableError("salesforce: pvt.yaml has no notify.salesforce block")
        if message.kind == SLA_RESOLVED:
            return self._close_cases(message, self._resolved_cases(message))
        if message.kind != RESOLVED or not message.file_key:
            return self.cases.upsert_case(delivery.idempotency_key,
                                          case_fields(message, self.notify.ui_base_url))
        earlier = [(m, d) for m, d in self.ledger.file_deliveries(message.file_key, "salesforce")
                   if m.kind != RESOLVED and m.id < message.id]
        return self._close_cases(message, [d for _, d in earlier])

    def _resolved_cases(self, message: MessageRecord) -> list[DeliveryRecord]:
        """The Salesforce sends of the message an ``sla_resolved`` message resolves."""
        resolves = message.details.get("resolves")
        if not isinstance(resolves, int):
            return []
        return [d for d in self.ledger.deliveries_of(resolves) if d.channel == "salesforce"]

    def _close_cases(self, message: MessageRecord, earlier: list[DeliveryRecord]) -> str:
        """Close (or comment on) the Cases ``earlier`` sends opened; wait while one is open."""
        assert self.cases is not None
        if any(d.status in ("pending", "sending") for d in earlier):
            raise _NotYet("waiting for the Case to be opened first")
        case_ids = sorted({d.external_id for d in earlier if d.external_id})
        comment = resolution_text(message, self.notify.ui_base_url)
        for case_id in case_ids:
            self.cases.resolve_case(case_id, comment)
        return ",".join(case_ids)[:255] or "-"


def _transport(channel: str) -> str:
    """What a channel travels over: SMTP for email and digests, else the channel itself."""
    kind = channel.partition(":")[0]
    return "smtp" if kind in ("email", "digest") else kind
