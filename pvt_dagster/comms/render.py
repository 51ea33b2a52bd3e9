"""What a message looks like on each channel: email subjects and bodies (one message or a
digest), Salesforce Case fields, and links to the Dagster UI. Every text passes ``mask_pii``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from pvt_dagster.domain import Severity, is_stage
from pvt_dagster.ledger import MessageRecord
from pvt_dagster.masking import mask_pii
from pvt_dagster.naming import partition_key, stage_asset_path

_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class EmailText:
    """An email's subject and plain-text body."""

    subject: str
    body: str


def iso(moment: datetime) -> str:
    """ISO 8601 UTC ending in ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def asset_url(base: str, message: MessageRecord) -> str | None:
    """The Dagster UI page of the message's asset and partition (the file, or a processing
    job's partition), if it has one."""
    partition = message.details.get("partition") if message.stage == "job" else None
    if message.client and message.feed and isinstance(partition, str):
        path = "/".join(quote(part, safe="") for part in (message.client, message.feed))
        query = urlencode({"view": "partitions", "partition": partition})
        return f"{base.rstrip('/')}/assets/{path}?{query}"
    if not (message.client and message.feed and message.file_key):
        return None
    stage = message.stage if is_stage(message.stage) else "raw"
    path = "/".join(quote(part, safe="")
                    for part in stage_asset_path(message.client, message.feed, stage))
    query = urlencode({"view": "partitions", "partition": partition_key(message.file_key)})
    return f"{base.rstrip('/')}/assets/{path}?{query}"


def run_url(base: str, message: MessageRecord) -> str | None:
    """The Dagster UI page of the run the message came from, if it came from a Dagster run."""
    run_id = str(message.details.get("run_id") or "")
    return f"{base.rstrip('/')}/runs/{run_id}" if _RUN_ID.match(run_id) else None


def file_label(message: MessageRecord) -> str:
    """The file's part of the key (or ``-`` for messages about no file)."""
    return message.file_key.rsplit("/", 1)[-1] if message.file_key else "-"


def where(message: MessageRecord) -> str:
    """``client/feed`` (or what is known of it)."""
    return f"{message.client or '-'}/{message.feed or '-'}"


def message_email(message: MessageRecord, ui_base_url: str) -> EmailText:
    """One message as an email: the subject names client, feed, file and severity."""
    subject = (f"[PVT {message.severity.upper()}] {where(message)} {file_label(message)}: "
               f"{message.kind}")
    lines = [summary_block(message, ui_base_url)]
    lines.append("This message was sent by PVT Intake. Values from data files are masked.")
    return EmailText(mask_pii(subject)[:250], mask_pii("\n\n".join(lines)) + "\n")


def summary_block(message: MessageRecord, ui_base_url: str) -> str:
    """The lines describing one message: what, where, when and links."""
    lines = [message.text, "",
             f"Severity: {message.severity}",
             f"Kind:     {message.kind}",
             f"Client:   {message.client or '-'}",
             f"Feed:     {message.feed or '-'}",
             f"File:     {message.file_key or '-'}",
             f"Stage:    {message.stage or '-'}",
             f"When:     {iso(message.created_at)}"]
    asset, run = asset_url(ui_base_url, message), run_url(ui_base_url, message)
    if asset:
        lines.append(f"Asset:    {asset}")
    if run:
        lines.append(f"Run:      {run}")
    if message.file_key:
        lines.append(f"Details:  pvt file show {message.file_key}")
    return "\n".join(lines)


def digest_email(messages: list[MessageRecord], ui_base_url: str) -> EmailText:
    """Several messages compiled into one email."""
    counts: dict[Severity, int] = {}
    for m in messages:
        counts[m.severity] = counts.get(m.severity, 0) + 1
    by_severity = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    feeds = sorted({where(m) for m in messages})
    shown = ", ".join(feeds[:3]) + (" and more" if len(feeds) > 3 else "")
    subject = f"[PVT digest] {len(messages)} message(s) ({by_severity}): {shown}"
    if len(messages) == 1:
        only = messages[0]
        subject = (f"[PVT digest] {only.severity} {where(only)} {file_label(only)}: "
                   f"{only.kind}")
    parts = [f"{len(messages)} message(s) since the last digest ({by_severity})."]
    for number, m in enumerate(messages, 1):
        parts.append(f"--- {number}. {m.severity} · {where(m)} · {file_label(m)}\n"
                     + summary_block(m, ui_base_url))
    parts.append("This digest was sent by PVT Intake. Values from data files are masked.")
    return EmailText(mask_pii(subject)[:250], mask_pii("\n\n".join(parts)) + "\n")


def case_fields(message: MessageRecord, ui_base_url: str) -> dict[str, str]:
    """Subject, Description and Priority of the Case for a message."""
    subject = f"PVT {message.severity}: {where(message)} {file_label(message)} ({message.kind})"
    priority = {"critical": "High", "failure": "High", "warning": "Medium"}.get(
        message.severity, "Low")
    return {"Subject": mask_pii(subject)[:255],
            "Description": mask_pii(summary_block(message, ui_base_url))[:31000],
            "Priority": priority}


def resolution_text(message: MessageRecord, ui_base_url: str) -> str:
    """The comment a Case gets when a rerun of its file succeeds (or a late file arrives)."""
    first = (f"Resolved: {message.text}." if message.kind == "sla_resolved" else
             f"Resolved: a rerun of {message.file_key} succeeded.")
    return mask_pii(first + "\n\n" + summary_block(message, ui_base_url))
