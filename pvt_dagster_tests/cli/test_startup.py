"""``pvt`` starts without the data stack: listing files must not pay for pandas, pyarrow,
pandera or Dagster, which only the stages, rules, jobs and replays import (when they run)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "pandera", "dagster")
PROBE = ("import json, sys, pvt_dagster.cli as cli; cli.build_parser(); "
         "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")


def test_cli_and_its_parser_do_not_import_the_data_stack() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True, timeout=120)
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "pvt_dagster" in modules
    assert [m for m in HEAVY if m in modules] == []
