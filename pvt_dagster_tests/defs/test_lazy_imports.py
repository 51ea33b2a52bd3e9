"""Every run worker imports the code location, so what the location imports is paid once per
run: client libraries that only some sources, channels or formats use (simple-salesforce with
zeep, requests, boto3, paramiko, openpyxl) are imported where they are used, not by the
definitions; the validation and scrubbing engines' pandas, pandera and pyarrow are imported on
a second thread once a file's first stage starts (while the transfer and gpg wait)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pvt_dagster_tests.support.fixtures import IntakeEnv

LAZY = ("simple_salesforce", "zeep", "requests", "boto3", "paramiko", "openpyxl")
ENGINES = ("pandas", "pandera", "pyarrow", "numpy")
PROBE = ("import json, sys, pvt_dagster.definitions as d; "
         "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules}), "
         "len(list(d.defs.resolve_all_job_defs()))]))")


def test_definitions_do_not_import_optional_client_libraries(intake_env: IntakeEnv) -> None:
    env = {**os.environ, "PVT_CONFIG": str(intake_env.config_path)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    modules, jobs = json.loads(done.stdout.strip().splitlines()[-1])
    assert jobs >= 2  # the location really loaded the test config's feeds
    assert [m for m in LAZY if m in modules] == []
    assert [m for m in ENGINES if m in modules] == []  # imported when a file's stage starts


WARM = ("import json, sys, pvt_dagster.definitions; "
        "from pvt_dagster.defs.stage_step import ENGINE_IMPORTS, warm_up_engines; "
        "warm_up_engines().join(120); "
        "print(json.dumps([m for m in ENGINE_IMPORTS if m not in sys.modules]))")


def test_a_first_stage_imports_the_engines_on_a_second_thread(intake_env: IntakeEnv) -> None:
    env = {**os.environ, "PVT_CONFIG": str(intake_env.config_path)}
    done = subprocess.run([sys.executable, "-c", WARM], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
