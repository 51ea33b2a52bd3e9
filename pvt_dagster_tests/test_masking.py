"""Masking of values shown in reports (pvt_dagster.masking): number-like values keep their
last four digits, every other letter and digit is starred, punctuation is kept."""

from __future__ import annotations

import pytest

from pvt_dagster.masking import mask_value, sample_values


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("123-45-6789", "***-**-6789"),
        ("(555) 123-4567", "(***) ***-4567"),
        ("123456789", "*****6789"),
        ("jane.doe@example.org", "****.***@*******.***"),
        (" jane doe ", " **** *** "),
        ("555-01", "***-**"),
        ("1234", "****"),
        ("ab", "**"),
        ("12-3", "**-*"),
        ("12345", "*****"),
        ("1234567", "***4567"),
        ("A1234567", "********"),
        ("", ""),
        ("---", "---"),
        ("a\nb\tcdef", "* * ****"),
    ],
)
def test_mask_value(value: str, masked: str) -> None:
    """Only the last four digits of a number-like value survive; names never show in part."""
    assert mask_value(value) == masked


def test_mask_value_truncates_long_values() -> None:
    """Values are cut to 40 characters before masking."""
    masked = mask_value("9" * 100)
    assert masked == "*" * 36 + "9999"


def test_sample_values_masks_unless_not_pii() -> None:
    """Samples are masked for PII columns, clear otherwise; empties read (empty); limit holds."""
    values = ["123-45-6789", "", "  ", "987-65-4321", "1", "2", "3"]
    assert sample_values(values, pii=True) == [
        "***-**-6789", "(empty)", "(empty)", "***-**-4321", "*",
    ]
    assert sample_values(values, pii=False, limit=2) == ["123-45-6789", "(empty)"]
    assert sample_values(iter(values), pii=True, limit=0) == []
