"""The Arrow engine against the pandas engine it replaced (``pvt_dagster_tests.reference``): on
a corpus with every rule, every scrub action and odd inputs, the reports, scrubbed bytes and
audits must be identical; and the RE2 translations must match Python's ``re`` exactly."""

from __future__ import annotations

import random
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from pvt_dagster.config.models import FeedConfig
from pvt_dagster.errors import ParseError
from pvt_dagster.scrubbing import scrub_file
from pvt_dagster.validation import BUILTIN_PATTERNS, validate_file
from pvt_dagster.validation.arrowtext import PY_WHITESPACE
from pvt_dagster.validation.catalogue import BUILTIN_RE2
from pvt_dagster.validation.re2 import full_matches, re2_form
from pvt_dagster_tests.reference.scrubbing_engine import scrub_file as old_scrub_file
from pvt_dagster_tests.reference.validation_engine import validate_file as old_validate_file

MODULE = "pvt_dagster_tests.validation.custom_rules"
COLUMNS: dict[str, Any] = {
    "ssn": {"required": True, "checks": [{"rule": "pattern", "pattern": "ssn"},
                                         {"rule": "unique"}],
            "scrub": ["strip_hyphens", {"format": {"as": "ssn"}}]},
    "phone": {"checks": [{"rule": "pattern", "pattern": "us_phone", "severity": "warning"}],
              "scrub": ["digits_only", {"format": {"as": "phone"}}]},
    "state": {"checks": [{"rule": "in_list", "values": "us_states"},
                         {"rule": "in_list", "values": ["ca", "ny"], "ignore_case": True}],
              "scrub": ["upper", {"null_if_invalid": {"rule": "in_list"}}]},
    "zip": {"checks": [{"rule": "pattern", "pattern": "zip"}, {"rule": "length", "min": 5,
                                                              "max": 10}],
            "scrub": [{"pad_left": {"width": 5, "fill": "0"}}]},
    "email": {"checks": [{"rule": "pattern", "pattern": "email", "ignore_case": True}],
              "scrub": ["lower"]},
    "dob": {"checks": [{"rule": "pattern", "pattern": "date"},
                       {"rule": "range", "min": "1900-01-01", "max": "2020-12-31"},
                       {"rule": "type", "type": "date"}],
            "scrub": [{"date": {"formats": ["%m/%d/%Y", "%Y%m%d"]}}]},
    "name": {"checks": [{"rule": "pattern", "regex": r"[A-Za-z' .-]+"},
                        {"rule": "pattern", "regex": r"(?=[A-Z])\w+(\s\w+)?"},
                        {"rule": "not_null", "severity": "information"}],
             "scrub": ["trim", "title", {"pad_right": {"width": 6, "fill": "."}}]},
    "code": {"pii": False,
             "checks": [{"rule": "pattern", "regex": r"(?i)m[0-9]{2,}\s?x?", "severity":
                         "warning"},
                        {"rule": "type", "type": "integer"},
                        {"rule": "custom", "function": f"{MODULE}:even"}],
             "scrub": [{"replace": {"pattern": r"(\d)(\d)", "with": r"\2\1"}}]},
    "amount": {"pii": False, "checks": [{"rule": "range", "min": 0, "max": 1000},
                                        {"rule": "type", "type": "decimal"}],
               "scrub": [{"map": {"values": {"1": "one", "2.5": "two and a half"}}}]},
    "flag": {"pii": False, "checks": [{"rule": "type", "type": "boolean"},
                                      {"rule": "in_list", "values": ["Y", "N"]}],
             "scrub": [{"map": {"values": {"y": "yes", "n": "no"}, "ignore_case": True}}]},
    "start": {"pii": False, "checks": [{"rule": "length", "max": 10}]},
    "end": {"pii": False, "scrub": [{"replace": {"pattern": "^$", "with": "none"}}]},
}
FILE_CHECKS: list[dict[str, Any]] = [
    {"rule": "header", "order": "strict"}, {"rule": "row_count", "min": 1, "max": 10_000},
    {"rule": "duplicate_rows", "severity": "warning"},
    {"rule": "custom", "function": f"{MODULE}:start_before_end"},
    {"rule": "row_count_drop", "max_drop_percent": 10},
]

ODD = ["", " ", "  x  ", "\t", "\x1c", "\u3000", "é", "ß", "Straße", "ǅ", "ﬁ", "\u0661\u0662\u0663",
       "123-45-6789", "000-12-3456", "666-12-3456", "900-12-3456", "123-00-6789",
       "123-45-0000", "12345-6789", "123456789", "123-456789", "(555) 123-4567",
       "+1 555.123.4567", "1-555-123-4567", "5551234567x", "CA", "ca", "Ny", "XX", "a,b",
       'say "hi"', "line\nbreak", "cr\rmid", "O'Neil", "mary ANN", "1st", "M12", "m34 x",
       "M\u0661\u0662", "42", "-7", "+3.5", ".5", "1e3", "inf", "nan", "2024-02-29", "2023-02-29",
       "9999-12-31", "0000-01-01", "01/02/2003", "20240229", "user@example.com",
       "A.B@Example.CO", "bad@@x", "k\u212a", "true", "No", "Y", "n", "  y ", "12", "21",
       "1", "2.5", "ÀÉÎ", "ﬀ", "İstanbul", "\u2028", "x" * 12]


def _row(rng: random.Random) -> list[str]:
    """One row of mostly odd values."""
    return [rng.choice(ODD) for _ in COLUMNS]


def _cell(value: str) -> str:
    """A CSV cell, quoted when it needs to be."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_corpus(path: Path, rows: int, seed: int = 3) -> None:
    """A corpus CSV: clean unquoted blocks (the pyarrow path), quoted values, embedded
    newlines, blank lines, CRLF, duplicates and unicode (the strict path)."""
    rng = random.Random(seed)
    lines = [",".join(COLUMNS)]
    for i in range(rows):
        if i % 97 == 5:
            lines.append("")  # a blank line is not a record
        if i % 53 == 7 and len(lines) > 2:
            lines.append(lines[-1])  # a duplicate row
            continue
        values = _row(rng) if i % 4 == 0 else [
            f"{100 + i % 800:03d}-{10 + i % 89:02d}-{1000 + i:04d}", "555-123-4567",
            rng.choice(["CA", "NY", "ca"]), f"{10000 + i % 9000}", f"u{i}@example.com",
            f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}", rng.choice(["Ann", " bob ", "Lee"]),
            f"{i % 1000}", f"{i % 1200}.5", rng.choice(["Y", "N", "y"]),
            "2020-01-01", "2021-01-01"]
        lines.append(",".join(_cell(v) for v in values))
    text = "\n".join(lines) + "\n"
    if seed % 2:
        text = text.replace("\n2020", "\r\n2020", 50)
    path.write_bytes(text.encode("utf-8"))


def feed(**fmt: Any) -> FeedConfig:
    """The corpus feed."""
    return FeedConfig.model_validate({"source": "s", "pattern": "*", "decrypt": "none",
                                      "columns": COLUMNS, "file_checks": FILE_CHECKS,
                                      "format": fmt})


@pytest.mark.parametrize(("rows", "chunk_rows", "seed"),
                         [(3000, 1000, 3), (3000, 250, 4), (200, 7, 5), (12_000, 5000, 7)])
def test_same_report_output_and_audit(tmp_path: Path, rows: int, chunk_rows: int,
                                      seed: int) -> None:
    """Every outcome (counts, rows, masked samples, messages), the scrubbed bytes and the
    audit of changes are those of the pandas engine."""
    src = tmp_path / "corpus.csv"
    write_corpus(src, rows, seed)
    config = feed()
    new = validate_file(src, config, chunk_rows=chunk_rows, previous_rows=rows * 2)
    old = old_validate_file(src, config, chunk_rows=chunk_rows, previous_rows=rows * 2)
    assert new.parse_error is None and old.parse_error is None
    assert [asdict(o) for o in new.outcomes] == [asdict(o) for o in old.outcomes]
    assert (new.rows, new.columns) == (old.rows, old.columns)
    assert any(not o.passed for o in new.outcomes)
    scrubbed = scrub_file(src, tmp_path / "new.csv", config, chunk_rows=chunk_rows)
    reference = old_scrub_file(src, tmp_path / "old.csv", config, chunk_rows=chunk_rows)
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    assert [asdict(c) for c in scrubbed.changes] == [asdict(c) for c in reference.changes]
    assert scrubbed.rows == reference.rows
    assert all(c.rows_changed for c in scrubbed.changes[:3])


@pytest.mark.parametrize("text", [
    "a,b\n1,2\n3\n",                       # too few fields
    "a,b\n1,2\n3,4,5\n",                   # too many fields
    'a,b\n1,"2\n',                         # an unclosed quote
    'a,b\n1,"x"y\n',                       # characters after a closing quote
    "a,b\n1,2\n\x00,3\n",                  # a NUL (the csv module reads it)
    "\n\n",                                # only blank lines
    "",                                    # empty
    "123-45-6789,555\n1,2\n",              # no header line
])
def test_same_parse_errors(tmp_path: Path, text: str) -> None:
    """Malformed CSV gives the same ParseError (reason and line) and the same partial rows."""
    src = tmp_path / "bad.csv"
    src.write_bytes(text.encode("utf-8"))
    config = FeedConfig.model_validate({"source": "s", "pattern": "*", "decrypt": "none",
                                        "columns": {"a": {}, "b": {}}})
    new, old = validate_file(src, config), old_validate_file(src, config)
    assert (new.rows, new.columns) == (old.rows, old.columns)
    assert (str(new.parse_error), getattr(new.parse_error, "line", None)) == (
        str(old.parse_error), getattr(old.parse_error, "line", None))
    results: list[object] = []
    for scrub in (scrub_file, old_scrub_file):
        try:
            scrub(src, tmp_path / "out.csv", config)
            results.append((tmp_path / "out.csv").read_bytes())
        except ParseError as exc:
            results.append((str(exc), exc.line))
    assert results[0] == results[1]


@pytest.mark.parametrize("bad", ["1,2,3", "1", "", ",", "\r"])
def test_bad_rows_in_a_clean_block(tmp_path: Path, bad: str) -> None:
    """A wrong field count or a blank line deep inside an otherwise clean block is read the
    same way: the same ParseError at the same line, or the same rows."""
    src = tmp_path / "f.csv"
    lines = ["a,b"] + [f"{i},x" for i in range(5000)]
    lines[3000] = bad
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = FeedConfig.model_validate({"source": "s", "pattern": "*", "decrypt": "none",
                                        "columns": {"a": {}, "b": {}}})
    new, old = validate_file(src, config), old_validate_file(src, config)
    assert (str(new.parse_error), getattr(new.parse_error, "line", None), new.rows) == (
        str(old.parse_error), getattr(old.parse_error, "line", None), old.rows)
    assert [asdict(o) for o in new.outcomes] == [asdict(o) for o in old.outcomes]


def _py(regex: str, values: list[str], flags: int = 0) -> list[bool]:
    """Python's full-match answers."""
    compiled = re.compile(regex, flags)
    return [compiled.fullmatch(v) is not None for v in values]


def test_ssn_re2_form_is_exact() -> None:
    """The RE2 ssn pattern accepts exactly what the look-around pattern accepts."""
    values = [f"{a:03d}{h}{g:02d}{k}{s:04d}" for a in range(1000) for g in (0, 1, 45, 99)
              for s in (0, 1, 10, 100, 6789) for h, k in (("", ""), ("-", "-"), ("-", ""))][
        ::3] + [f"{a:03d}-{g:02d}-6789" for a in (0, 1, 665, 666, 667, 899, 900)
               for g in range(100)]
    array = pa.array(values, type=pa.large_string())
    compiled = re.compile(BUILTIN_PATTERNS["ssn"])
    assert list(full_matches(array, compiled, BUILTIN_RE2["ssn"])) == _py(
        BUILTIN_PATTERNS["ssn"], values)


@pytest.mark.parametrize("regex", [
    BUILTIN_PATTERNS["us_phone"], BUILTIN_PATTERNS["zip"], BUILTIN_PATTERNS["email"],
    BUILTIN_PATTERNS["date"], r"M[0-9]{7}", r"x{,3}y", r"\d+\Z", r"\s+\S*", r"[^\W\d]+",
    r"(?i)[a-z]+", r"\bab\B.", r"a|ab|abc", r"(?:x|y)*?z", r"[\s\d]+",
])
def test_translated_patterns_match_python(regex: str) -> None:
    """Translated patterns give Python's answers on ASCII and non-ASCII values alike."""
    assert re2_form(regex) is not None
    rng = random.Random(11)
    alphabet = "aAbBcxyzZM0123456789 -.@()+\t\n\x0b\x1c_kK\u00e9\u0661"
    values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
              for _ in range(3000)] + ODD
    array = pa.array(values, type=pa.large_string())
    got = full_matches(array, re.compile(regex), re2_form(regex))
    assert list(got) == _py(regex, values)


@pytest.mark.parametrize("regex", [r"(a)\1", r"(?=a)a", r"a$", r"(?s).", r"(?m)^a", "a{2000}"])
def test_untranslatable_patterns_use_python(regex: str) -> None:
    """Look-arounds, back-references, ``$`` and flags RE2 reads differently fall back to
    Python's ``re`` for that column, with Python's answers."""
    assert re2_form(regex) is None
    values = ["a", "aa", "a\n", "b", ""]
    array = pa.array(values, type=pa.large_string())
    assert list(full_matches(array, re.compile(regex), None)) == _py(regex, values)


def test_python_whitespace_is_complete() -> None:
    """PY_WHITESPACE is exactly what ``str.isspace`` accepts."""
    assert "".join(chr(c) for c in range(0x110000) if chr(c).isspace()) == PY_WHITESPACE
