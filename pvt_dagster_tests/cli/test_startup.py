"""``pvt`` starts without the data stack: listing files must not pay for pandas, pyarrow,
pandera or Dagster, which only the stages, rules, jobs and replays import (when they run);
nor for Alembic once the ledger is current."""

from __future__ import annotations

import json
import subprocess
import sys

from pvt_dagster_tests.support.fixtures import IntakeEnv

HEAVY = ("pandas", "pyarrow", "pandera", "dagster")
PROBE = ("import json, sys, pvt_dagster.cli as cli; cli.build_parser(); "
         "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
FILES = ("import contextlib, io, json, sys; from pvt_dagster.cli import main\n"
         "with contextlib.redirect_stdout(io.StringIO()) as out: code = main(sys.argv[1:])\n"
         "print(json.dumps([code, out.getvalue(), "
         "sorted({m.split('.')[0] for m in sys.modules})]))")


def _last_json(argv: list[str]) -> object:
    done = subprocess.run([sys.executable, "-c", *argv], capture_output=True, text=True,
                          check=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_and_its_parser_do_not_import_the_data_stack() -> None:
    modules = _last_json([PROBE])
    assert isinstance(modules, list) and "pvt_dagster" in modules
    assert [m for m in HEAVY if m in modules] == []


def test_pvt_files_imports_neither_the_data_stack_nor_alembic(intake_env: IntakeEnv) -> None:
    intake = intake_env.intake()
    _ = intake.ledger  # created and migrated: what a user's ledger is
    intake.close()
    code, out, modules = _last_json(  # type: ignore[misc]
        [FILES, "--config", str(intake_env.config_path), "files"])
    assert (code, out.splitlines()[-1]) == (0, "0 file(s)")
    assert [m for m in (*HEAVY, "alembic") if m in modules] == []
