"""Retention through real stage runs: ``pvt purge`` deletes the vault copies, work files and
daily CSVs of final files past their time (a fake clock: ``--as-of`` and ``now=``), keeps
what is running, on hold or failed, records each deletion on the file's chain (``ledger
verify`` passes, ``verify --files`` knows), and a purged file cannot be replayed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.ledger.timeutil import utcnow
from pvt_dagster.pipeline import Intake
from pvt_dagster.retention import plan_purge, purge
from pvt_dagster_tests.support.fixtures import COLUMNS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import run_file, run_file_dagster, settle

GOOD = [["7", "123-45-6789", "(555) 123-4567", "CA"]]
NO_SSN = [["8", "", "555-234-5678", "NY"]]


def _retain(env: IntakeEnv, block: str) -> Intake:
    text = env.config_path.read_text()
    env.config_path.write_text(text.replace("  acme:\n", f"  acme:\n    retention: {block}\n", 1))
    return Intake.from_path(env.config_path)


def _files(intake: Intake, env: IntakeEnv) -> dict[str, str]:
    """Four plain files: delivered, failed (no SSN), on hold, and delivered with a run still
    going; their keys by role. (A file waits on hold before its transfer, so it has no
    bytes yet; the held one here is put on hold after it, to prove the rule holds anyway.)"""
    for number, (name, rows) in enumerate((("done", GOOD), ("bad", NO_SSN), ("held", GOOD),
                                           ("busy", GOOD))):
        rows = [[str(number), *row[1:]] for row in rows]  # different bytes: no duplicates
        env.drop_plain(f"plain_{name}.csv", csv_bytes(rows, COLUMNS))
    keys = {r.name.removeprefix("plain_").removesuffix(".csv"): r.key for r in settle(intake)}
    statuses = {role: run_file(intake, key) for role, key in keys.items()}
    assert statuses == {"done": "delivered", "bad": "failed", "held": "delivered",
                        "busy": "delivered"}
    intake.ledger.place_hold("acme", "plain", reason="test: feed held", failures=3)
    intake.ledger.update_file(keys["held"], status="on_hold")
    intake.ledger.start_process_run("acme/plain/delivered", {
        "client": "acme", "feed": "plain", "stage": "delivered", "type": "stage",
        "tool": "test"}, run_id="r-busy", file_key=keys["busy"], actor="test")
    return keys


def _pvt(intake: Intake, *args: str) -> int:
    return main(["--config", str(intake.config.path), *args])


def test_purge_deletes_only_final_files_and_the_ledger_still_verifies(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> None:
    intake = _retain(intake_env, "{vault_days: 30, work_days: 7, outputs_days: 30}")
    keys = _files(intake, intake_env)
    layout = intake.layout
    vault = {role: layout.vault_path(key) for role, key in keys.items()}
    daily = sorted((intake_env.root / "out").glob("plain_*.csv"))
    assert len(daily) == 1 and all(p.is_file() for p in vault.values())
    capsys.readouterr()

    # Not yet past its time: nothing to do.
    assert _pvt(intake, "purge", "--dry-run", "--json") == 0
    assert json.loads(capsys.readouterr().out)["purged"] == []

    # A dry run 40 days on lists, and deletes nothing.
    later = (utcnow() + timedelta(days=40)).isoformat()
    assert _pvt(intake, "purge", "--dry-run", "--json", "--as-of", later) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"dry_run", "at", "bytes", "files", "purged", "kept", "errors"}
    assert report["dry_run"] is True and report["errors"] == []
    purged = {(p["key"], p["area"], p["stage"]) for p in report["purged"]}
    # The decrypted plaintext went when the file was delivered; the scrubbed copy waits.
    assert purged == {(keys["done"], "vault", "raw"), (keys["done"], "work", "scrubbed")}
    first = report["purged"][0]
    assert set(first) == {"key", "client", "feed", "area", "stage", "path", "bytes",
                          "written_at", "retention_days"}
    assert first["path"].startswith(("vault/", "work/")) and first["written_at"].endswith("Z")
    assert report["files"] == 1 and report["bytes"] == sum(p["bytes"] for p in
                                                           report["purged"]) > 0
    assert all(set(k) == {"key", "area", "path", "reason"} for k in report["kept"])
    kept = {(k["key"], k["area"]): k["reason"] for k in report["kept"]}
    assert kept[(keys["bad"], "vault")] == "failed: awaiting a replay"
    assert kept[(keys["held"], "vault")].startswith("on hold")
    assert kept[(keys["busy"], "vault")].startswith("still running")
    # The day's CSV also holds the busy file's rows: it stays until that file is final.
    assert kept[(keys["done"], "outputs")].startswith("the daily CSV also holds ")
    assert all(p.is_file() for p in vault.values()) and daily[0].is_file()
    assert [e.action for e in intake.ledger.events(keys["done"])].count("purge") == 0

    # The real purge (the clock moved on 40 days).
    done = purge(intake, user="tester", now=utcnow() + timedelta(days=40))
    assert {(i.key, i.area) for i in done.purged} == {(keys["done"], "vault"),
                                                      (keys["done"], "work")}
    assert not vault["done"].exists()
    assert not layout.decrypted_path(keys["done"]).exists()
    assert not layout.scrubbed_path(keys["done"]).exists()
    for role in ("bad", "held", "busy"):
        assert vault[role].is_file(), f"the {role} file's vault copy was touched"
    assert daily[0].is_file()
    events = intake.ledger.events(keys["done"])
    purges = [e for e in events if e.action == "purge"]
    assert {e.stage for e in purges} == {"raw", "scrubbed"}
    assert all(e.outcome == "ok" and e.input_sha256 for e in purges)
    assert intake.ledger.operator_actions(target="retention")[-1].user == "tester"
    # A second purge finds nothing more of that file.
    again = purge(intake, user="tester", now=utcnow() + timedelta(days=40))
    assert keys["done"] not in {i.key for i in again.purged}

    # The ledger still verifies, and --files knows the bytes went on purpose.
    capsys.readouterr()
    assert _pvt(intake, "ledger", "verify") == 0
    assert _pvt(intake, "ledger", "verify", "--files") == 0
    out = capsys.readouterr().out
    assert "missing" not in out and "ledger verify: ok" in out
    # ...but a file deleted by hand is still reported.
    vault["bad"].unlink()
    assert _pvt(intake, "ledger", "verify", "--files") == 1
    assert f"file {keys['bad']}: vault copy" in capsys.readouterr().out

    # Replaying a purged file says clearly that its bytes are gone (exit 1).
    assert _pvt(intake, "replay", keys["done"]) == 1
    err = capsys.readouterr().err
    assert f"the bytes of {keys['done']} are gone" in err and "purged" in err
    assert "vault_days: 30" in err
    # A rerun from the UI (any first stage) fails with the same words and changes nothing.
    intake.ledger.release_hold("acme", "plain", user="tester")
    for stage in ("raw", "decrypted"):
        run_file_dagster(intake, keys["done"], from_stage=stage)
    assert intake.ledger.get_file(keys["done"]).status == "delivered"
    failures = [m.text for m in intake.ledger.messages(file_key=keys["done"])]
    assert len(failures) == 2 and all("are gone" in text for text in failures)


def test_daily_csv_goes_once_every_file_in_it_is_final(intake_env: IntakeEnv) -> None:
    intake = _retain(intake_env, "{vault_days: null, work_days: null, outputs_days: 3}")
    intake_env.drop_plain("plain_a.csv", csv_bytes(GOOD, COLUMNS))
    (record,) = settle(intake)
    assert run_file(intake, record.key) == "delivered"
    (daily,) = (intake_env.root / "out").glob("plain_*.csv")
    assert plan_purge(intake, now=utcnow() + timedelta(days=2)) == ([], [])
    report = purge(intake, user="tester", now=utcnow() + timedelta(days=4))
    assert [(i.area, i.path) for i in report.purged] == [("outputs", daily)]
    assert not daily.exists() and intake.layout.vault_path(record.key).is_file()
    (event,) = [e for e in intake.ledger.events(record.key) if e.action == "purge"]
    assert event.stage == "delivered" and event.input_name == str(daily)
    assert intake.ledger.verify_chains() == []


def test_a_client_without_retention_keeps_everything(intake_env: IntakeEnv,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    intake = Intake.from_path(intake_env.config_path)
    intake_env.drop_plain("plain_a.csv", csv_bytes(GOOD, COLUMNS))
    (record,) = settle(intake)
    assert run_file(intake, record.key) == "delivered"
    assert _pvt(intake, "purge", "--dry-run", "--as-of", "2099-01-01") == 0
    assert "would delete 0 output(s) of 0 file(s)" in capsys.readouterr().out
    assert _pvt(intake, "purge", "--as-of", "2099-01-01") == 2  # --as-of only previews
    assert Path(intake.layout.vault_path(record.key)).is_file()
