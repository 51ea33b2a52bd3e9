"""Dagster's own project CLI (``dg``) works on the code location: ``dg check defs`` validates
it and ``dg list defs`` lists the feed's job, sensors and assets for a real config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pvt_dagster_tests.support.fixtures import IntakeEnv

REPO = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"


def _dg(env: IntakeEnv, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``dg`` in the repo with the test config, as ``make lint`` does."""
    return subprocess.run([str(DG), *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PVT_CONFIG": str(env.config_path),
                                            "COLUMNS": "250"})


@pytest.mark.slow
def test_dg_check_and_list_defs(intake_env: IntakeEnv) -> None:
    checked = _dg(intake_env, "check", "defs")
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "All definitions loaded successfully" in checked.stdout + checked.stderr
    listed = _dg(intake_env, "list", "defs")
    assert listed.returncode == 0, listed.stderr[-2000:]
    for name in ("acme__members__intake", "acme__plain__intake", "acme__drop__discover",
                 "pvt__dispatch", "acme/members/members_validated"):
        assert name in listed.stdout


@pytest.mark.slow
def test_dg_check_defs_fails_on_a_broken_config(intake_env: IntakeEnv) -> None:
    intake_env.config_path.write_text(intake_env.config_path.read_text().replace(
        "pattern: \"plain_*.csv\"", "pattern: \"plain_*.csv\"\n        bogus_key: 1"))
    checked = _dg(intake_env, "check", "defs")
    assert checked.returncode != 0
    assert "bogus_key" in checked.stdout + checked.stderr
