"""Processing jobs: built-in and custom DataFrame scripts over delivered rows, other jobs'
outputs or plain folders, their output contract and their statuses. Plain Python: no Dagster
import (the Dagster layer is ``defs/processing.py``; the ledger wiring ``pipeline/jobs.py``)."""

from __future__ import annotations

from pvt_dagster.processing.builtins import BUILTINS, Script, iso_utc
from pvt_dagster.processing.contract import DTYPE_TESTS, check_contract, contract_problems
from pvt_dagster.processing.outputs import arrow_table, write_csv, write_parquet
from pvt_dagster.processing.readers import FolderFile, list_folder, read_output, read_text_csv
from pvt_dagster.processing.runner import SINGLE, ScriptOutput, run_script
from pvt_dagster.processing.scripts import LoadedScript, load_script
from pvt_dagster.processing.status import (
    ERROR,
    PRELIMINARY,
    STATUSES,
    SUCCESS,
    JobStatus,
    status_of_output,
    usable_as_input,
)

__all__ = [
    "BUILTINS",
    "DTYPE_TESTS",
    "ERROR",
    "PRELIMINARY",
    "SINGLE",
    "STATUSES",
    "SUCCESS",
    "FolderFile",
    "JobStatus",
    "LoadedScript",
    "Script",
    "ScriptOutput",
    "arrow_table",
    "check_contract",
    "contract_problems",
    "iso_utc",
    "list_folder",
    "load_script",
    "read_output",
    "read_text_csv",
    "run_script",
    "status_of_output",
    "usable_as_input",
    "write_csv",
    "write_parquet",
]
