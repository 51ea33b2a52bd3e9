"""A feed on hold refuses every path a file can be started by: a manual launch from the UI (a
run of the feed's job that no sensor requested), ``pvt replay`` and ``pvt ingest``; ``--force``
(or the run tag ``pvt/force``) overrides it and is recorded as an operator action. A feed can
set its own ``max_consecutive_failures``."""

from __future__ import annotations

import dagster as dg
import pytest

from pvt_dagster.cli import main
from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.names import TAG_FORCE
from pvt_dagster.ledger.tracking import HoldRecord
from pvt_dagster.naming import partition_key
from pvt_dagster.tracking.holds import Streak, place_hold
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, run_file, settle
from pvt_dagster_tests.tracking.helpers import set_max_failures


def _hold(env: IntakeEnv, feed: str = "members") -> HoldRecord:
    """Put ``acme/<feed>`` on hold, as repeated failures would."""
    hold = place_hold(env.intake().ledger, "acme", feed, Streak(3, "boom", ["r1"]),
                      cause="test")
    assert hold is not None
    return hold


def test_a_manual_launch_on_a_held_feed_waits_unless_forced(intake_env: IntakeEnv) -> None:
    defs = build_definitions(str(intake_env.config_path))
    intake_env.drop_encrypted("members_ui.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    (ready,) = settle(intake)
    _hold(intake_env)
    job = defs.resolve_job_def("acme__members__intake")
    with dg.instance_for_test() as instance:
        partition = partition_key(ready.key)
        instance.add_dynamic_partitions("acme__members", [partition])
        result = job.execute_in_process(partition_key=partition, instance=instance)
        assert result.success and result.get_asset_materialization_events() == []
        (observed,) = [e for e in result.all_events
                       if e.event_type_value == "ASSET_OBSERVATION"]
        assert "on hold" in str(observed.event_specific_data)
        record = intake.ledger.get_file(ready.key)
        assert record.status == "on_hold" and record.raw_sha256 is None
        forced = job.execute_in_process(partition_key=partition, instance=instance,
                                        tags={TAG_FORCE: "true"})
        assert forced.success
    assert intake.ledger.get_file(ready.key).status == "delivered"


def test_replay_and_ingest_refuse_a_held_feed_unless_forced(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    intake_env.drop_encrypted("members_r.csv.pgp", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    ((key, status),) = process_all(intake).items()
    assert status == "delivered"
    hold = _hold(intake_env)
    config = str(intake_env.config_path)
    assert main(["--config", config, "replay", key]) == 1
    assert "is on hold" in capsys.readouterr().err
    assert intake.ledger.get_file(key).run_seq == 0  # refused before anything was recorded
    handed = intake_env.root / "members_usb.csv.pgp"
    handed.write_bytes(intake_env.drop_encrypted(
        "members_usb.csv.pgp", csv_bytes(GOOD_ROWS[:1])).read_bytes())
    (intake_env.inbox / "members_usb.csv.pgp").unlink()
    assert main(["--config", config, "ingest", "acme/members", str(handed)]) == 1
    assert len(intake.ledger.list_files()) == 1

    assert main(["--config", config, "replay", key, "--force"]) == 0
    assert main(["--config", config, "ingest", "acme/members", str(handed), "--force"]) == 0
    forced = [a for a in intake.ledger.operator_actions() if a.action == "force"]
    assert [a.target for a in forced] == [key, str(handed)]
    assert all(a.details["hold"] == hold.id for a in forced)
    assert {r.status for r in intake.ledger.list_files()} == {"delivered"}
    assert intake.ledger.active_holds()  # forcing a run does not release the hold


def test_a_feed_sets_its_own_failure_limit(intake_env: IntakeEnv) -> None:
    set_max_failures(intake_env, 3)
    intake_env.config_path.write_text(intake_env.config_path.read_text().replace(
        "        decrypt: none\n", "        decrypt: none\n        max_consecutive_failures: 1\n"))
    intake_env.drop_encrypted("plain_sealed.csv", b"ssn\n123-45-6789\n", to_other_key=True)
    intake_env.drop_encrypted("members_x.csv.pgp", csv_bytes(GOOD_ROWS), to_other_key=True)
    intake = intake_env.intake()
    for record in settle(intake):
        assert run_file(intake, record.key) == "failed"
    # One operational failure of members (limit 3, the client's) holds nothing; a PGP file
    # on the plain feed is bad data, never a hold.
    assert intake.ledger.active_holds() == []
    # One operational failure of plain (its own limit: 1) holds it: its delivery folder is
    # a file.
    (intake_env.root / "out").write_text("not a folder")
    intake_env.drop_plain("plain_ok.csv", b"ssn\n123-45-6789\n")
    (ready,) = settle(intake)
    assert run_file(intake, ready.key) == "failed"
    assert [(h.feed, h.failures) for h in intake.ledger.active_holds()] == [("plain", 1)]
