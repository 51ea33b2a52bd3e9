"""The Dagster UI tells each file's story, read in a real browser (Debian's Chromium driven by
Playwright, at 1600x1000) on the demo run as ``make demo`` runs it: the runs list names each
file; the blocked file's ``scrubbed`` says it was blocked by ``ssn__pattern``; the checks tab
shows the failing check with masked samples; the lineage's nodes carry the feed; the blocked
run's failure says "blocked by" without a stack trace; and no page shows a demo SSN or phone
number in clear. The pages are the ones ``make screenshots`` captures (one tour, shared)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster.demo import DEMO_FILES, member_rows
from pvt_dagster.demo.running import RunningDemo, running_demo
from pvt_dagster.demo.screenshots import CHROMIUM, STAGES, tour
from pvt_dagster.masking import has_pii

REPO = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(1500),
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason=f"no Chromium at {CHROMIUM} (Debian package chromium; the "
                              "browser tests never download a browser)"),
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """The demo under ``pvt demo run`` until its three files' runs have finished."""
    folder = tmp_path_factory.mktemp("ui") / "demo"
    with running_demo(folder, workspace=REPO / "workspace.yaml") as running:
        yield running


@pytest.fixture(scope="module")
def pages(demo: RunningDemo) -> dict[str, str]:
    """Each page of the tour's visible text, by name."""
    return tour(demo)


def test_the_demo_files_ran_as_promised(demo: RunningDemo) -> None:
    assert {kind: run.status for kind, run in demo.runs.items()} == {
        "clean": "SUCCESS", "warnings": "SUCCESS", "failing": "FAILURE"}


def test_the_runs_list_names_each_file(demo: RunningDemo, pages: dict[str, str]) -> None:
    for demo_file in DEMO_FILES:
        assert demo.runs[demo_file.kind].partition.startswith(f"{demo_file.name}@")
        assert demo_file.name in pages["runs"]
        assert demo.runs[demo_file.kind].partition in pages["runs"]


def test_the_blocked_files_scrubbed_says_blocked_by_its_check(pages: dict[str, str]) -> None:
    text = pages["blocked-file"]
    assert "members_2026-11-23_failing.csv.pgp@" in text
    assert re.search(r"blocked_by\s+ssn__pattern", text)
    assert "not run: blocked by ssn__pattern at validated" in text


def test_the_checks_tab_shows_the_failing_check_with_masked_samples(
        pages: dict[str, str]) -> None:
    text = pages["check-samples"]
    assert "ssn__pattern" in text and "Failed" in text
    assert "5 of 24 rows do not match the built-in pattern ssn" in text
    samples = re.findall(r'"(\*\*\*-[^"]*)"', text)
    assert samples and all(not re.search(r"\d{3}-\d{2}-\d{4}", s) for s in samples)


def test_the_lineage_nodes_carry_the_feed(pages: dict[str, str]) -> None:
    words = set(pages["lineage"].split())
    assert {f"members_{stage}" for stage in STAGES} <= words
    assert {f"roster_{stage}" for stage in STAGES} <= words
    assert not set(STAGES) & words  # no node is named by its stage alone


def test_the_blocked_runs_failure_says_blocked_by_without_a_stack_trace(
        pages: dict[str, str]) -> None:
    for name in ("run-step-failure", "run-failure"):
        text = pages[name]
        assert "blocked by `ssn__pattern`: 1 failure rule(s) found problems" in text
        assert "scrubbing and delivery did not run" in text
        for trace in ("Traceback", 'File "', "Stack Trace"):
            assert trace not in text, f"{name} shows a stack trace ({trace!r})"


def test_the_dispatch_sensor_logs_a_summary_per_tick(pages: dict[str, str]) -> None:
    # the tick that sent the failing file's email and Case (the demo waited for the email)
    assert re.search(r"routed \d+, sent [1-9]\d*, retrying \d+, failed 0", pages["sensor-ticks"])


def test_no_page_shows_an_ssn_or_a_phone_number(pages: dict[str, str]) -> None:
    clear = set()
    for number, demo_file in enumerate(DEMO_FILES):  # the rows `pvt demo` encrypted
        for row in member_rows(demo_file.kind, 24, seed=number):
            ssn, phone = row[3], row[4]
            clear |= {ssn, ssn.replace("-", "")}
            if len(re.sub(r"\D", "", phone)) == 10:
                clear |= {phone, re.sub(r"\D", "", phone)}
    assert len(clear) > 100
    assert len(pages) == 7
    for name, text in pages.items():
        assert not [value for value in clear if value in text], f"{name} shows PII"
        assert not has_pii(text), f"{name} shows something shaped like an SSN or a phone"
