"""Messages are deduplicated and tracked; operator actions are recorded."""

from __future__ import annotations

from pvt_dagster.ledger import Ledger


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


def test_pending_filter_and_delivery_tracking(ledger: Ledger) -> None:
    _message(ledger, "a")
    _message(ledger, "b")
    system = ledger.record_message(dedupe_key="c", client=None, feed=None, file_key=None,
                                   stage=None, kind="config", severity="warning", text="x")
    first, second = ledger.messages(file_key="acme/members/k")
    sent = ledger.mark_message_sent(first.id)
    assert (sent.status, sent.attempts) == ("sent", 1) and sent.sent_at is not None
    retry = ledger.mark_message_failed(second.id, "smtp down\nretry later")
    assert (retry.status, retry.attempts, retry.last_error) == ("pending", 1,
                                                               "smtp down retry later")
    assert [m.dedupe_key for m in ledger.messages(pending=True)] == ["b", "c"]
    gave_up = ledger.mark_message_failed(system.id, "bad address", give_up=True)
    assert gave_up.status == "failed"
    assert [m.dedupe_key for m in ledger.messages(pending=False)] == ["a", "c"]


def test_operator_actions_are_recorded(ledger: Ledger) -> None:
    done = ledger.record_operator_action(action="release", target="acme/members", user="ana",
                                         details={"reason": "fixed"})
    assert (done.action, done.user, done.details) == ("release", "ana", {"reason": "fixed"})
    assert done.at.tzinfo is not None
    assert ledger.operator_actions(target="acme/members") == [done]
    assert ledger.operator_actions(target="other") == []
