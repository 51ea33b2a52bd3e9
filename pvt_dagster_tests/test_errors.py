"""The error boundary (pvt_dagster.errors): our errors' text is PII-masked wherever shown, and
``translated_errors`` turns any other error into one line with its type and masked message,
with its chain cut, the masked traceback going to the debug log only."""

from __future__ import annotations

import logging

import pytest

from pvt_dagster.errors import (
    ParseError,
    PvtError,
    RuleError,
    SourceError,
    UnexpectedError,
    one_line,
    translated_errors,
)


def test_our_errors_mask_pii_shapes_in_their_text() -> None:
    assert str(SourceError("members_123-45-6789.csv is gone")) == \
        "members_***-**-6789.csv is gone"
    assert str(ParseError("bad row 5551234567", line=3)) == "line 3: bad row ******4567"


def test_a_third_party_error_becomes_type_and_masked_line(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="pvt_dagster.errors")
    with pytest.raises(UnexpectedError) as raised, translated_errors("validated"):
        int("123-45-6789")
    text = str(raised.value)
    assert text.startswith("validated: ValueError: invalid literal") and "'***-**-6789'" in text
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    debug = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in debug and "ValueError" in debug and "123-45-6789" not in debug


def test_our_errors_leave_the_boundary_without_their_chain() -> None:
    def rule() -> None:
        try:
            raise ValueError("bad value Jane Doe 123-45-6789")
        except ValueError as exc:
            raise RuleError(f"check ssn__custom: the rule raised {one_line(exc)}") from exc

    with pytest.raises(RuleError) as raised, translated_errors("validated"):
        rule()
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert "Jane" not in str(raised.value) and "123-45-6789" not in str(raised.value)
    assert isinstance(raised.value, PvtError)
