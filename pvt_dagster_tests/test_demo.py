"""``pvt demo``: writes config, keys and three files once (idempotent), and those files end as
the README promises: clean and warnings delivered, failing stopped at validated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.decrypt import Keystore
from pvt_dagster.pipeline import Intake, run_stages
from pvt_dagster_tests.support.flow import poll


@pytest.fixture
def demo_dir(tmp_path: Path) -> Iterator[Path]:
    """A demo written by ``pvt demo``; its gpg-agent is stopped afterwards."""
    target = tmp_path / "demo"
    assert main(["demo", "--dir", str(target)]) == 0
    yield target
    Keystore(target / "home" / "keystore").stop_agent()


def test_demo_is_idempotent(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = demo_dir / "home"  # gpg and the ledger touch their own files on every use
    before = {p: p.stat().st_mtime for p in demo_dir.rglob("*")
              if p.is_file() and not p.is_relative_to(home)}
    capsys.readouterr()
    assert main(["demo", "--dir", str(demo_dir)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert sorted(p.name for p in (demo_dir / "inbox").iterdir()) == [
        "members_2026-11-23_clean.csv.pgp", "members_2026-11-23_failing.csv.pgp",
        "members_2026-11-23_warnings.csv.pgp"]
    assert {p: p.stat().st_mtime for p in before} == before
    assert (demo_dir / "secrets" / "members.passphrase").stat().st_mode & 0o077 == 0


def test_demo_files_end_as_promised(demo_dir: Path) -> None:
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    poll(intake, source_name="dropbox")
    ready = poll(intake, source_name="dropbox", seconds_later=5).ready
    assert len(ready) == 3
    for record in ready:
        run_stages(intake, record.key, run_id="demo-run")
    files = {r.name.split("_")[2].split(".")[0]: r for r in intake.ledger.list_files()}
    counts = intake.ledger.check_counts(None)
    clean, warnings, failing = files["clean"], files["warnings"], files["failing"]
    assert (clean.status, warnings.status) == ("delivered", "delivered")
    assert (failing.status, failing.stage) == ("failed", "validated")
    assert counts[clean.key] == {"failure": 0, "warning": 0, "information": 0}
    assert counts[warnings.key]["failure"] == 0 and counts[warnings.key]["warning"] == 2
    assert counts[failing.key]["failure"] == 1
    daily = list((demo_dir / "out" / "acme").glob("members_*.csv"))
    assert len(daily) == 1 and len(daily[0].read_text().splitlines()) == 1 + 24 + 24
    intake.close()
