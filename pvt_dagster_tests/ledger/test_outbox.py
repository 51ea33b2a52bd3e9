"""Messages are deduplicated and tracked; operator actions are recorded."""

from __future__ import annotations

from datetime import timedelta

from pvt_dagster.ledger import Ledger, MessageRecord
from pvt_dagster.ledger.timeutil import utcnow


def _message(ledger: Ledger, dedupe_key: str, text: str = "ssn rule failed") -> object:
    return ledger.record_message(
        dedupe_key=dedupe_key, client="acme", feed="members", file_key="acme/members/k",
        stage="validated", kind="rule_failure", severity="failure", text=text,
        details={"count": 2})


def test_messages_are_deduplicated(ledger: Ledger) -> None:
    first = ledger.record_message(
        dedupe_key="k:validated:r1", client="acme", feed="members", file_key="acme/members/k",
        stage="validated", kind="rule_failure", severity="failure", text="first",
        details={"count": 2})
    again = ledger.record_message(
        dedupe_key="k:validated:r1", client="acme", feed="members", file_key="acme/members/k",
        stage="validated", kind="rule_failure", severity="failure", text="second")
    assert again == first and again.text == "first"
    assert (first.status, first.attempts, first.details) == ("pending", 0, {"count": 2})
    assert len(ledger.messages()) == 1


def test_pending_filter_follows_the_channel_deliveries(ledger: Ledger) -> None:
    """A message is sent once its channel is, pending while a retry is due, failed when the
    channel gave up; attempts and the last error come from its deliveries."""
    _message(ledger, "a")
    _message(ledger, "b")
    system = ledger.record_message(dedupe_key="c", client=None, feed=None, file_key=None,
                                   stage=None, kind="config", severity="warning", text="x")
    first, second = ledger.messages(file_key="acme/members/k")
    now = utcnow()

    def attempt(message: MessageRecord, error: str | None = None, *,
                give_up: bool = False) -> None:
        (delivery,) = ledger.route_message(message.id, {"email:ops@example.org": f"{message.id}"},
                                           at=now)
        claimed = ledger.claim(delivery, now=now, stale_before=now - timedelta(minutes=10))
        assert claimed is not None
        if error is None:
            ledger.mark_sent(claimed, at=now)
        else:
            ledger.mark_failed(claimed, error,
                               retry_at=None if give_up else now + timedelta(minutes=5))

    attempt(first)
    attempt(second, "smtp down\nretry later")
    assert [m.dedupe_key for m in ledger.messages(pending=True)] == ["b", "c"]
    attempt(system, "bad address", give_up=True)
    by_key = {m.dedupe_key: m for m in ledger.messages()}
    assert (by_key["a"].status, by_key["a"].attempts) == ("sent", 1)
    assert by_key["a"].sent_at is not None
    assert (by_key["b"].status, by_key["b"].attempts, by_key["b"].last_error) == (
        "pending", 1, "smtp down retry later")
    assert by_key["c"].status == "failed"
    assert [m.dedupe_key for m in ledger.messages(pending=True)] == ["b"]
    assert [m.dedupe_key for m in ledger.messages(pending=False)] == ["a", "c"]


def test_operator_actions_are_recorded(ledger: Ledger) -> None:
    done = ledger.record_operator_action(action="release", target="acme/members", user="ana",
                                         details={"reason": "fixed"})
    assert (done.action, done.user, done.details) == ("release", "ana", {"reason": "fixed"})
    assert done.at.tzinfo is not None
    assert ledger.operator_actions(target="acme/members") == [done]
    assert ledger.operator_actions(target="other") == []
