"""``pvt messages [--pending] [--json]``: the outbox, with each message's status per channel;
``pvt messages send`` runs one dispatch pass now (what the dispatch sensor does)."""

from __future__ import annotations

import argparse
from typing import Any

from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.comms import Dispatcher
from pvt_dagster.ledger import DeliveryRecord, Ledger, MessageRecord
from pvt_dagster.pipeline import Intake


def channel_json(d: DeliveryRecord) -> dict[str, Any]:
    """One channel delivery as ``pvt messages --json`` prints it."""
    return {"channel": d.channel, "status": d.status, "attempts": d.attempts,
            "last_error": d.last_error, "external_id": d.external_id,
            "next_attempt_at": iso(d.next_attempt_at), "sent_at": iso(d.sent_at)}


def message_json(m: MessageRecord, deliveries: list[DeliveryRecord]) -> dict[str, Any]:
    """One message as ``pvt messages --json`` prints it."""
    return {"id": m.id, "created_at": iso(m.created_at), "client": m.client, "feed": m.feed,
            "file_key": m.file_key, "stage": m.stage, "kind": m.kind, "severity": m.severity,
            "text": m.text, "status": m.status, "attempts": m.attempts,
            "last_error": m.last_error, "sent_at": iso(m.sent_at),
            "channels": [channel_json(d) for d in deliveries]}


def messages_json(ledger: Ledger, *, pending: bool) -> list[dict[str, Any]]:
    """Every message (or only pending ones), oldest first, with their channels."""
    messages = ledger.messages(pending=True if pending else None)
    by_message = ledger.deliveries([m.id for m in messages]) if messages else {}
    return [message_json(m, by_message.get(m.id, [])) for m in messages]


def _channels_cell(channels: list[dict[str, Any]]) -> str:
    if not channels:
        return "(not routed yet)"
    return ", ".join(f"{c['channel']}={c['status']}"
                     + (f"({c['attempts']})" if c["status"] != "sent" and c["attempts"] else "")
                     for c in channels)


def cmd_messages(intake: Intake, args: argparse.Namespace) -> int:
    """List the outbox."""
    rows = messages_json(intake.ledger, pending=args.pending)
    if args.json:
        print_json(rows)
        return 0
    print_table(["ID", "CREATED", "SEVERITY", "KIND", "FILE", "STATUS", "CHANNELS", "TEXT"], [
        [r["id"], r["created_at"], r["severity"], r["kind"], r["file_key"] or "-", r["status"],
         _channels_cell(r["channels"]), r["text"][:80]] for r in rows])
    errors = [(r["id"], c) for r in rows for c in r["channels"] if c["last_error"]]
    for message_id, c in errors:
        print(f"  message {message_id} {c['channel']}: {c['status']}, attempt {c['attempts']}: "
              f"{c['last_error']}")
    print(f"{len(rows)} message(s)")
    return 0


def cmd_messages_send(intake: Intake, args: argparse.Namespace) -> int:
    """Run one dispatch pass now; 0 unless a delivery gave up for good."""
    report = Dispatcher(intake.ledger, intake.config.notify).run_once()
    print(report.summary())
    return 1 if report.failed else 0


def register(sub: Subparsers) -> None:
    """Add ``pvt messages [--pending] [--json]`` and ``pvt messages send``."""
    messages = sub.add_parser("messages", help="the message outbox and its channels")
    messages.add_argument("--pending", action="store_true",
                          help="only messages not yet sent on every channel")
    messages.add_argument("--json", action="store_true")
    messages.set_defaults(run=cmd_messages, needs_intake=True)
    action = messages.add_subparsers(dest="messages_command", required=False, metavar="ACTION")
    action.add_parser("send", help="route and send what is due now").set_defaults(
        run=cmd_messages_send, needs_intake=True)
