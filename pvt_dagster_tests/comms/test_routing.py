"""Routing (first match wins unless ``continue``; no match means log), channel names, the
defensive PII mask, UI links and the texts each channel gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pvt_dagster.comms import channel_problem, parse_channel, route
from pvt_dagster.comms.render import asset_url, case_fields, digest_email, message_email, run_url
from pvt_dagster.comms.salesforce import external_id
from pvt_dagster.config.notify import Route
from pvt_dagster.errors import ChannelRejectedError
from pvt_dagster.ledger import MessageRecord
from pvt_dagster.masking import has_pii, mask_pii

KEY = "acme/members/20261123T100000Z-members_bad.csv.pgp"
RUN = "0b7c3e52-6f1f-4d8e-9a51-2f5f0b0e6a11"


def _message(**fields: object) -> MessageRecord:
    base: dict[str, object] = dict(
        id=1, dedupe_key="k", client="acme", feed="members", file_key=KEY, stage="validated",
        kind="validated_failed", severity="failure", text=f"{KEY} failed at validated",
        details={"run_id": RUN}, created_at=datetime(2026, 11, 23, 10, tzinfo=UTC),
        status="pending", attempts=0, sent_at=None, last_error=None)
    base.update(fields)
    return MessageRecord(**base)  # type: ignore[arg-type]


def _routes(*routes: dict[str, object]) -> list[Route]:
    return [Route.model_validate(r) for r in routes]


def test_first_match_wins_unless_continue() -> None:
    routes = _routes(
        {"match": {"severity": "failure", "client": "acme"}, "send": ["email:a@x.org"],
         "continue": True},
        {"match": {"severity": "failure"}, "send": ["salesforce", "email:a@x.org"]},
        {"match": {}, "send": ["digest:all@x.org"]})
    assert route(_message(), routes) == ["email:a@x.org", "salesforce"]
    assert route(_message(severity="warning"), routes) == ["digest:all@x.org"]
    assert route(_message(client="other", severity="information"), routes[:2]) == ["log"]


def test_match_on_feed_stage_and_kind() -> None:
    routes = _routes({"match": {"feed": "members", "stage": "raw", "kind": "raw_failed"},
                      "send": ["email:raw@x.org"]})
    assert route(_message(stage="raw", kind="raw_failed"), routes) == ["email:raw@x.org"]
    assert route(_message(stage="validated"), routes) == ["log"]


@pytest.mark.parametrize(("name", "problem"), [
    ("log", None), ("salesforce", None), ("email:ops@example.org", None),
    ("digest:ops@example.org", None), ("sms:1", "unknown channel"),
    ("email:", "needs an address"), ("digest:not-an-address", "not an email address"),
    ("salesforce:x", "takes no address")])
def test_channel_names(name: str, problem: str | None) -> None:
    found = channel_problem(name)
    assert (found is None) if problem is None else (problem in (found or ""))
    if problem:
        with pytest.raises(ChannelRejectedError):
            parse_channel(name)
    else:
        assert parse_channel(name).name == name


def test_mask_pii_masks_ssn_and_phone_but_not_keys_hashes_or_times() -> None:
    text = ("ssn 123-45-6789 and 987654321, phone (555) 123-4567, 555.234.5678; key "
            f"{KEY} at 2026-11-23T10:00:00Z sha 9f2c0123456789ab run {RUN}")
    masked = mask_pii(text)
    assert not has_pii(masked)
    for clear in ("123-45-6789", "987654321", "(555) 123-4567", "555.234.5678"):
        assert clear not in masked
    assert "***-**-6789" in masked
    assert KEY in masked and RUN in masked and "9f2c0123456789ab" in masked


def test_links_point_at_the_asset_partition_and_the_run() -> None:
    message = _message()
    assert asset_url("http://ui:3000/", message) == (
        "http://ui:3000/assets/acme/members/members_validated?view=partitions&partition="
        "members_bad.csv.pgp%4020261123T100000Z")
    assert run_url("http://ui:3000", message) == f"http://ui:3000/runs/{RUN}"
    assert run_url("http://ui:3000", _message(details={"run_id": "cli-1"})) is None
    assert asset_url("http://ui", _message(file_key=None)) is None


def test_texts_name_client_feed_file_severity_and_are_masked() -> None:
    message = _message(text="ssn__pattern found 123-45-6789 and (555) 123-4567")
    mail = message_email(message, "http://ui:3000")
    assert mail.subject == ("[PVT FAILURE] acme/members 20261123T100000Z-members_bad.csv.pgp: "
                            "validated_failed")
    assert f"/runs/{RUN}" in mail.body and "pvt file show" in mail.body
    assert not has_pii(mail.subject + mail.body)
    digest = digest_email([message, _message(id=2, severity="warning", kind="rule_warning")],
                          "http://ui")
    assert "2 message(s)" in digest.subject and "acme/members" in digest.subject
    assert not has_pii(digest.body)
    fields = case_fields(message, "http://ui")
    assert fields["Priority"] == "High" and not has_pii(fields["Description"])


def test_external_id_is_one_per_file_and_kind() -> None:
    first, again = _message(), _message(id=2, details={"run_id": "other"})
    assert external_id(first) == external_id(again) == \
        "acme~members~20261123T100000Z-members_bad.csv.pgp~validated_failed"
    assert external_id(_message(kind="raw_failed")) != external_id(first)
    assert external_id(_message(file_key=None, kind="source_unavailable")) == \
        "acme~members~-~source_unavailable"


def test_critical_messages_take_failure_routes_and_never_wait_for_a_digest() -> None:
    routes = _routes(
        {"match": {"severity": "failure"}, "send": ["digest:ops@x.org", "salesforce"]},
        {"match": {"severity": "warning"}, "send": ["digest:ops@x.org"]})
    critical = _message(severity="critical", kind="source_cleanup_failed")
    assert route(critical, routes) == ["email:ops@x.org", "salesforce"]
    assert route(_message(), routes) == ["digest:ops@x.org", "salesforce"]  # failure waits
    own = _routes({"match": {"severity": "critical"}, "send": ["email:sec@x.org"]}, *routes)
    assert route(critical, own) == ["email:sec@x.org"]  # a route for critical comes first
