"""Per-feed concurrency: a feed with ``concurrency: N`` tags each file's run with one of N
lanes (``pvt/feed = client/feed#k``), so the instance's one-run-per-value limit lets N of its
files run at once; a feed without it keeps one run at a time (``pvt/feed = client/feed``).
Slow: under ``dagster dev`` files of a concurrent feed run at once, never two of one lane."""

from __future__ import annotations

import itertools

import dagster as dg
import pytest

from pvt_dagster.config import config_json_schema, load_config
from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.names import (
    PARTITION_TAG,
    TAG_FEED,
    TAG_FILE,
    feed_lane,
    feed_of_lane,
    run_file_key,
)
from pvt_dagster.errors import ConfigError
from pvt_dagster.naming import partition_key
from pvt_dagster_tests.defs.test_daemon import _wait_delivered
from pvt_dagster_tests.defs.test_end_to_end import tick
from pvt_dagster_tests.support.dagster_dev import DagsterDev
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes

FILES = 12


def _set_concurrency(env: IntakeEnv, value: str) -> None:
    """Give the members feed ``concurrency: value`` in the test config."""
    text = env.config_path.read_text()
    marker = "      members:\n        source: drop\n"
    assert marker in text
    env.config_path.write_text(text.replace(marker, f"{marker}        concurrency: {value}\n"))


def test_concurrent_feed_runs_are_tagged_with_lanes(intake_env: IntakeEnv) -> None:
    _set_concurrency(intake_env, "3")
    defs = build_definitions(str(intake_env.config_path))
    for n in range(FILES):
        intake_env.drop_encrypted(f"members_{n:02d}.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_plain("plain_0.csv", b"ssn\n123-45-6789\n")
    with dg.instance_for_test() as instance:
        tick(defs, instance, intake_env)
        requests = tick(defs, instance, intake_env).run_requests or []
    assert len(requests) == FILES + 1
    members = [r for r in requests if r.tags[TAG_FEED] != "acme/plain"]
    assert len(members) == FILES
    lanes = {r.tags[TAG_FEED] for r in members}
    assert lanes <= {"acme/members#0", "acme/members#1", "acme/members#2"}
    assert len(lanes) >= 2, lanes  # 12 files over 3 lanes: not all in one
    feed = load_config(intake_env.config_path).feed("acme", "members")
    for request in members:  # the lane is a stable function of the file key
        assert request.tags[TAG_FEED] == feed_lane(feed, request.tags[TAG_FILE])
        assert feed_of_lane(request.tags[TAG_FEED]) == "acme/members"
        # a run without pvt/file (launched from the UI) still names its file
        tags = {TAG_FEED: request.tags[TAG_FEED],
                PARTITION_TAG: partition_key(request.tags[TAG_FILE])}
        assert run_file_key(tags) == request.tags[TAG_FILE]


def test_default_concurrency_keeps_one_lane_per_feed(intake_env: IntakeEnv) -> None:
    config = load_config(intake_env.config_path)
    feed = config.feed("acme", "members")
    assert feed.config.concurrency == 1
    assert feed_lane(feed, "acme/members/20261202T000000Z-members_1.csv.pgp") == "acme/members"


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_bad_concurrency_is_refused(intake_env: IntakeEnv, value: str) -> None:
    _set_concurrency(intake_env, value)
    with pytest.raises(ConfigError, match="concurrency"):
        load_config(intake_env.config_path)


def test_schema_describes_concurrency() -> None:
    prop = config_json_schema()["$defs"]["FeedConfig"]["properties"]["concurrency"]
    assert (prop["default"], prop["minimum"], prop["maximum"]) == (1, 1, 64)
    assert "order" in prop["description"]


BIG_FILE_ROWS = 200_000


@pytest.fixture
def concurrent_env(intake_env: IntakeEnv) -> IntakeEnv:
    """The test config with ``concurrency: 4`` on the members feed (before dagster dev)."""
    _set_concurrency(intake_env, "4")
    return intake_env


@pytest.mark.slow
def test_daemon_runs_files_of_a_concurrent_feed_at_once(
        concurrent_env: IntakeEnv, dagster_dev: DagsterDev,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Files big enough that each run lasts seconds: on an idle machine a 3-row file's run
    # ends before the daemon has launched the next one, and nothing could overlap.
    rows = [[str(i), "123-45-6789", "(555) 123-4567", "CA"] for i in range(BIG_FILE_ROWS)]
    for n in range(4):
        concurrent_env.drop_encrypted(f"members_{n}.csv.pgp", csv_bytes(rows))
    _wait_delivered(concurrent_env, 4, timeout=300)
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_dev.home))
    with dg.DagsterInstance.get() as instance:
        runs = [(r.dagster_run.tags[TAG_FEED], r.start_time or 0.0, r.end_time or 0.0)
                for r in instance.get_run_records()]
    assert len(runs) == 4 and all(lane.startswith("acme/members#") for lane, _, _ in runs)
    overlapping = [(a, b) for a, b in itertools.combinations(runs, 2)
                   if a[1] < b[2] and b[1] < a[2]]
    assert overlapping, f"no two runs of the feed overlapped: {runs}"
    assert all(a[0] != b[0] for a, b in overlapping), "two runs of one lane overlapped"
