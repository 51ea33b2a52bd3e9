"""Masking of values shown in reports (pvt_dagster.masking): number-like values keep their
last four digits, every other letter and digit is starred, punctuation is kept."""

from __future__ import annotations

import pytest

from pvt_dagster.masking import has_pii, mask_message, mask_pii, mask_value, sample_values


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


@pytest.mark.parametrize("value", ["1980-05-17", "05/17/1980", "19800517", "1980-05-17T10:20:30Z",
                                   "5/7/80"])
def test_dates_hide_their_month_and_day(value: str) -> None:
    """A date shows no digit at all: its month and day are as telling as its year."""
    assert not any(ch.isdigit() for ch in mask_value(value))


@pytest.mark.parametrize(("text", "masked"), [
    ("members_123-45-6789.csv", "members_***-**-6789.csv"),
    ("x_5551234567_y", "x_******4567_y"),
    ("sha 9f2a123456789bc and 20261202T042446Z", "sha 9f2a123456789bc and 20261202T042446Z"),
])
def test_pii_shapes_inside_underscores_are_caught(text: str, masked: str) -> None:
    """An underscore does not hide an SSN or phone shape; hashes and timestamps stay."""
    assert mask_pii(text) == masked
    assert has_pii(text) == (text != masked)


@pytest.mark.parametrize(("message", "shown"), [
    ("invalid literal for int() with base 10: '123-45-6789'",
     "invalid literal for int() with base 10: '***-**-6789'"),
    ("bad value SECRET1", "bad value *******"),
    ("could not convert string to float: John Smith",
     "could not convert string to float: **** *****"),
    ("Expected 4 fields in line 3, saw 5", "Expected 4 fields in line 3, saw 5"),
    ("mail jane.doe@example.org bounced", "mail ****.***@*******.*** bounced"),
])
def test_third_party_messages_keep_their_wording_not_their_data(message: str,
                                                                 shown: str) -> None:
    """A third-party error message keeps its words; quoted literals, numbers, addresses and
    capitalised words (names) are masked."""
    assert mask_message(message) == shown
