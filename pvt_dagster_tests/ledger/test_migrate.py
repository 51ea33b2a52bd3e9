"""Migrations: idempotent, safe from several processes, readable errors, SQLite settings."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from pvt_dagster.config.models import PvtConfig
from pvt_dagster.errors import LedgerUnavailableError
from pvt_dagster.ledger import Ledger
from pvt_dagster.ledger.migrate import head_revision, shipped_head

REPO = Path(__file__).resolve().parents[2]
TABLES = {"observations", "files", "manifest_events", "check_results", "scrub_changes",
          "messages", "operator_actions"}

UPGRADE = """
import sys
from pvt_dagster.ledger import Ledger
ledger = Ledger(sys.argv[1])
ledger.upgrade()
print(ledger.revision())
ledger.close()
"""


def _tables(ledger: Ledger) -> set[str]:
    from sqlalchemy import inspect
    return set(inspect(ledger.engine).get_table_names())


def test_upgrade_is_idempotent(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    assert ledger.revision() is None
    ledger.upgrade()
    ledger.upgrade()
    assert ledger.revision() == head_revision()
    assert ledger.is_up_to_date()
    assert _tables(ledger) >= TABLES
    ledger.close()


def test_concurrent_upgrade_from_several_processes(ledger_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", UPGRADE, ledger_url], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == head_revision()
    with Ledger(ledger_url) as ledger:
        assert ledger.is_up_to_date()
        assert _tables(ledger) >= TABLES


def test_unmigrated_ledger_says_to_upgrade(ledger_url: str) -> None:
    with Ledger(ledger_url) as ledger, pytest.raises(LedgerUnavailableError, match="upgrade"):
        ledger.list_files()


def test_unreachable_postgres_is_readable_and_hides_the_password() -> None:
    url = "postgresql+psycopg://pvt:s3cret-pw@127.0.0.1:1/pvt"
    with Ledger(url) as ledger, pytest.raises(LedgerUnavailableError) as info:
        ledger.upgrade()
    message = str(info.value)
    assert "s3cret-pw" not in message and "127.0.0.1" in message
    assert "\n" not in message


def test_unusable_sqlite_path_is_readable(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    with pytest.raises(LedgerUnavailableError):
        Ledger(f"sqlite:///{blocker / 'sub' / 'ledger.db'}").upgrade()


def test_sqlite_file_modes_and_pragmas(tmp_path: Path) -> None:
    db = tmp_path / "home" / "ledger.db"
    with Ledger(f"sqlite:///{db}") as ledger:
        ledger.upgrade()
        assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        with ledger.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_for_config_uses_the_home(tmp_path: Path) -> None:
    cfg = PvtConfig(home=tmp_path / "pvt-home")
    with Ledger.for_config(cfg) as ledger:
        ledger.upgrade()
    assert (tmp_path / "pvt-home" / "ledger.db").is_file()


def test_in_memory_sqlite_works() -> None:
    with Ledger("sqlite://") as ledger:
        ledger.upgrade()
        assert ledger.list_files() == []


def test_quick_current_check_agrees_with_alembic(tmp_path: Path) -> None:
    """``is_up_to_date`` reads the head from the version files without Alembic: the same
    head Alembic finds, and False before the first upgrade or when the table is behind."""
    assert shipped_head() == head_revision()
    with Ledger(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        assert not ledger.is_up_to_date()  # no version table yet
        ledger.upgrade()
        assert ledger.is_up_to_date()
        with ledger.engine.begin() as conn:
            conn.execute(text("UPDATE pvt_ledger_version SET version_num = '0001_initial'"))
        assert not ledger.is_up_to_date()
