"""Options that take a stage or a status are read into the domain's vocabulary: an unknown
word is a usage error (exit 2) naming it and every allowed value, before anything runs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.cli.config_check import check_config
from pvt_dagster.comms import route
from pvt_dagster.config.notify import Route, RouteMatch
from pvt_dagster.domain import STAGES, STATUSES, MessageStage
from pvt_dagster.ledger import MessageRecord
from pvt_dagster_tests.config.samples import MINIMAL


@pytest.mark.parametrize(("argv", "message", "allowed"), [
    (["files", "--status", "done"], "argument --status: unknown file status 'done'", STATUSES),
    (["replay", "acme/members/k", "--from", "cooked"], "argument --from: unknown stage 'cooked'",
     STAGES),
])
def test_an_unknown_word_is_a_usage_error(capsys: pytest.CaptureFixture[str], argv: list[str],
                                          message: str, allowed: tuple[str, ...]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and all(word in err for word in allowed)


def test_route_matches_take_message_stages_and_severities() -> None:
    """A route may match ``stage: discovery`` and ``severity: critical``; a stage or severity
    no message can have is refused when the config is loaded, not silently never matched."""
    match = RouteMatch.model_validate({"stage": "discovery", "severity": "critical"})
    assert (match.stage, match.severity) == ("discovery", "critical")
    for wrong in ({"stage": "discover"}, {"stage": "Raw"}, {"severity": "error"}):
        with pytest.raises(ValueError, match="Input should be"):
            RouteMatch.model_validate(wrong)
    routes = [Route.model_validate({"match": {"stage": "discovery"}, "send": ["email:a@x.org"]})]
    assert route(_message("discovery"), routes) == ["email:a@x.org"]
    assert route(_message("raw"), routes) == ["log"]


def _message(stage: MessageStage) -> MessageRecord:
    return MessageRecord(
        id=1, dedupe_key="k", client="acme", feed=None, file_key=None, stage=stage,
        kind="source_unavailable", severity="failure", text="t", details={},
        created_at=datetime(2026, 11, 23, 10, tzinfo=UTC), status="pending", attempts=0,
        sent_at=None, last_error=None)


def test_config_check_names_the_stages_a_route_may_match(tmp_path: Path) -> None:
    path = tmp_path / "pvt.yaml"
    path.write_text("notify:\n  routes:\n    - match: {stage: discover}\n      send: [log]\n"
                    + MINIMAL)
    errors = [str(e) for e in check_config(path).errors]
    assert errors == [f"{path}:3: notify.routes[0].match.stage: must be 'raw', 'decrypted', "
                      "'validated', 'scrubbed', 'delivered', 'discovery', 'job' or 'sla'"]
