"""'resolved' messages: when a file that had a problem is delivered by a later run, one message
says so (its Salesforce Case is then closed). The Dagster success hook and the dispatcher's scan
both record it under the same dedupe key, so it is never doubled."""

from __future__ import annotations

from pvt_dagster.ledger import Ledger, MessageRecord

RESOLVED = "resolved"


def resolution_key(file_key: str, last_problem_id: int) -> str:
    """The dedupe key of the message resolving a file's problems up to ``last_problem_id``."""
    return f"{file_key}:resolved:{last_problem_id}"


def _is_problem(message: MessageRecord) -> bool:
    return message.severity in ("critical", "failure") and message.kind != RESOLVED


def record_recovery(ledger: Ledger, file_key: str, *, run_id: str | None = None,
                    last_problem_id: int | None = None) -> MessageRecord | None:
    """Queue the 'resolved' message of a delivered file that had problems (None otherwise)."""
    record = ledger.get_file(file_key)
    if record.status != "delivered":
        return None
    problems = [m for m in ledger.messages(file_key=file_key) if _is_problem(m)]
    if last_problem_id is None:
        if not problems:
            return None
        last_problem_id = max(m.id for m in problems)
    dedupe_key = resolution_key(file_key, last_problem_id)
    kinds = sorted({m.kind for m in problems})
    details: dict[str, object] = {"resolves": last_problem_id, "kinds": kinds}
    if run_id:
        details["run_id"] = run_id
    return ledger.record_message(
        dedupe_key=dedupe_key, client=record.client, feed=record.feed, file_key=file_key,
        stage="delivered", kind=RESOLVED, severity="information",
        text=f"{file_key} was delivered by a later run; earlier problems "
             f"({', '.join(kinds) or 'none'}) are resolved",
        details=details)


def record_recoveries(ledger: Ledger) -> int:
    """Queue 'resolved' messages for every recovered file that has none yet; how many."""
    count = 0
    for file_key, last_id in ledger.recovered_files():
        if ledger.has_message(resolution_key(file_key, last_id)):
            continue
        if record_recovery(ledger, file_key, last_problem_id=last_id) is not None:
            count += 1
    return count
