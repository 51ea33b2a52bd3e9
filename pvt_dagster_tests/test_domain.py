"""The vocabularies in pvt_dagster.domain: each tuple lists exactly its Literal's values."""

from __future__ import annotations

from typing import get_args

from pvt_dagster import domain


def test_each_tuple_matches_its_literal_type() -> None:
    """A value added to a Literal but not to its tuple (or the reverse) fails here."""
    pairs = [(domain.Stage, domain.STAGES), (domain.Status, domain.STATUSES),
             (domain.RuleSeverity, domain.RULE_SEVERITIES), (domain.Severity, domain.SEVERITIES)]
    for literal, values in pairs:
        assert values == get_args(literal)


def test_stage_statuses_follow_the_stage_order() -> None:
    """Every stage after raw is also the status of a file whose last stage is that one."""
    assert domain.STAGES[0] == "raw" and domain.STAGES[-1] == "delivered"
    assert set(domain.STAGES[1:]) <= set(domain.STATUSES)
    assert set(domain.RULE_SEVERITIES) < set(domain.SEVERITIES)
