"""The vocabularies in pvt_dagster.domain: each tuple lists exactly its Literal's values, and
stored text is turned back into them, or refused with a clear error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

import pytest

from pvt_dagster import domain


def literal_values(annotation: Any) -> tuple[str, ...]:
    """The values of a Literal, or of a union of Literals, in order."""
    if get_origin(annotation) is Literal:
        return tuple(get_args(annotation))
    return tuple(value for member in get_args(annotation) for value in literal_values(member))


VOCABULARIES: list[tuple[Any, tuple[str, ...], Callable[[str], str], str]] = [
    (domain.Stage, domain.STAGES, domain.as_stage, "stage"),
    (domain.MessageStage, domain.MESSAGE_STAGES, domain.as_message_stage, "message stage"),
    (domain.ProcessStage, domain.PROCESS_STAGES, domain.as_process_stage, "process stage"),
    (domain.Phase, domain.CHECK_PHASES, domain.as_phase, "check phase"),
    (domain.Status, domain.STATUSES, domain.as_status, "file status"),
    (domain.RunStatus, domain.PROCESS_RUN_STATUSES, domain.as_run_status,
     "process run status"),
    (domain.HoldStatus, domain.HOLD_STATUSES, domain.as_hold_status, "hold status"),
    (domain.MessageStatus, domain.MESSAGE_STATUSES, domain.as_message_status,
     "message status"),
    (domain.SendStatus, domain.SEND_STATUSES, domain.as_send_status, "send status"),
    (domain.RuleSeverity, domain.RULE_SEVERITIES, domain.as_rule_severity, "rule severity"),
    (domain.Severity, domain.SEVERITIES, domain.as_severity, "severity"),
]


def test_each_tuple_matches_its_literal_type() -> None:
    """A value added to a Literal but not to its tuple (or the reverse) fails here."""
    for literal, values, _, _ in VOCABULARIES:
        assert values == literal_values(literal)


def test_stage_statuses_follow_the_stage_order() -> None:
    """Every stage after raw is also the status of a file whose last stage is that one."""
    assert domain.STAGES[0] == "raw" and domain.STAGES[-1] == "delivered"
    assert set(domain.STAGES[1:]) <= set(domain.STATUSES)
    assert set(domain.RULE_SEVERITIES) < set(domain.SEVERITIES)
    assert set(domain.CHECK_PHASES) < set(domain.STAGES)
    assert set(domain.MESSAGE_STAGES) - set(domain.STAGES) == {"discovery", "job", "sla"}
    assert set(domain.PROCESS_STAGES) - set(domain.STAGES) == {"discover", "job"}


@pytest.mark.parametrize(("literal", "values", "convert", "what"), VOCABULARIES,
                         ids=[v[3] for v in VOCABULARIES])
def test_stored_text_converts_back_or_is_refused(literal: Any, values: tuple[str, ...],
                                                  convert: Callable[[str], str],
                                                  what: str) -> None:
    """Each known word comes back as itself; anything else (a typo, another vocabulary's
    word, a different case) is a ValueError naming the word and every allowed value."""
    assert [convert(value) for value in values] == list(values)
    for wrong in ("cooked", "", values[0].upper(), f" {values[0]}"):
        with pytest.raises(ValueError, match=f"unknown {what} {wrong!r}") as caught:
            convert(wrong)
        assert all(value in str(caught.value) for value in values)


def test_vocabularies_do_not_leak_into_each_other() -> None:
    with pytest.raises(ValueError, match="stage 'discovery'"):
        domain.as_stage("discovery")
    with pytest.raises(ValueError, match="rule severity 'critical'"):
        domain.as_rule_severity("critical")
    with pytest.raises(ValueError, match="check phase 'raw'"):
        domain.as_phase("raw")
    assert domain.as_severity("critical") == "critical"


def test_is_stage_tells_file_stages_from_other_text() -> None:
    assert all(domain.is_stage(stage) for stage in domain.STAGES)
    assert not any(domain.is_stage(text) for text in ("discovery", "discover", "intake",
                                                      "ssn__pattern", None, 3))
