"""Processing jobs: built-in and custom DataFrame scripts over delivered rows, other jobs'
outputs or plain folders, their output contract and their statuses. Plain Python: no Dagster
import (the Dagster layer is ``defs/processing.py``; the ledger wiring ``pipeline/jobs.py``).

Names are imported on first use (PEP 562): importing a constant or the status helpers does
not import pandas and pyarrow, which only the scripts need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pvt_dagster.lazyexports import lazy_dir, lazy_getattr

if TYPE_CHECKING:
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

#: Which submodule defines each public name.
_SOURCES = {
    'BUILTINS': 'builtins',
    'Script': 'builtins',
    'iso_utc': 'builtins',
    'DTYPE_TESTS': 'contract',
    'check_contract': 'contract',
    'contract_problems': 'contract',
    'arrow_table': 'outputs',
    'write_csv': 'outputs',
    'write_parquet': 'outputs',
    'FolderFile': 'readers',
    'list_folder': 'readers',
    'read_output': 'readers',
    'read_text_csv': 'readers',
    'SINGLE': 'runner',
    'ScriptOutput': 'runner',
    'run_script': 'runner',
    'LoadedScript': 'scripts',
    'load_script': 'scripts',
    'ERROR': 'status',
    'JobStatus': 'status',
    'PRELIMINARY': 'status',
    'STATUSES': 'status',
    'SUCCESS': 'status',
    'status_of_output': 'status',
    'usable_as_input': 'status',
}


__getattr__ = lazy_getattr(__name__, _SOURCES, globals())
__dir__ = lazy_dir(__all__, globals())
