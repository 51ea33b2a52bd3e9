"""Every run worker imports the code location, so what the location imports is paid once per
run: client libraries that only some sources, channels or formats use (simple-salesforce with
zeep, requests, boto3, paramiko, openpyxl) are imported where they are used, not by the
definitions; the validation and scrubbing engines (pandas, pandera, pyarrow) are imported by
the decrypted stage while gpg runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from pvt_dagster_tests.support.fixtures import IntakeEnv

LAZY = ("simple_salesforce", "zeep", "requests", "boto3", "paramiko", "openpyxl")
ENGINES = ("pandas", "pandera", "pyarrow", "numpy")
PROBE = ("import json, sys, pvt_dagster.definitions as d; "
         "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules}), "
         "len(list(d.defs.resolve_all_job_defs()))]))")


def _probe(env: IntakeEnv, code: str) -> Any:
    """What ``code`` prints last (JSON), run in a fresh interpreter on the test config."""
    done = subprocess.run([sys.executable, "-c", code],
                          env={**os.environ, "PVT_CONFIG": str(env.config_path)},
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_definitions_do_not_import_optional_client_libraries(intake_env: IntakeEnv) -> None:
    modules, jobs = _probe(intake_env, PROBE)
    assert jobs >= 2  # the location really loaded the test config's feeds
    assert [m for m in LAZY if m in modules] == []
    assert [m for m in ENGINES if m in modules] == []  # imported when a file's stage starts


LOAD = ("import json, sys, pvt_dagster.definitions; "
        "from pvt_dagster.pipeline.decrypted import load_engines; load_engines(); "
        "print(json.dumps([m for m in ('pandas', 'pandera', 'pyarrow') if m not in sys.modules]))")


def test_the_decrypted_stage_loads_the_engines(intake_env: IntakeEnv) -> None:
    assert _probe(intake_env, LOAD) == []
