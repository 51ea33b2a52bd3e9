"""The demo running in the background, as ``make demo`` runs it (``pvt demo run``: its mail
catcher, Salesforce stand-in, upload API and ``dagster dev``), on free ports in a folder of its
own, until its three files' runs have finished: what the screenshots (``make screenshots``) and
the browser tests look at."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from pvt_dagster.demo.launcher import stop_process
from pvt_dagster.demo.seed import DEMO_FILES, write_demo
from pvt_dagster.demo.services import SF_PORT_ENV, SMTP_PORT_ENV
from pvt_dagster.demo.upload_api import PUSH_PORT_ENV
from pvt_dagster.errors import DemoError

#: The demo feed's job, and the statuses a run ends in.
INTAKE_JOB = "acme__members__intake"
_DONE = {"SUCCESS", "FAILURE", "CANCELED"}
_RUNS = """query Runs($job: String!) { runsOrError(filter: {pipelineName: $job}) {
  ... on Runs { results { runId status tags { key value } } } } }"""


@dataclass(frozen=True)
class FileRun:
    """One demo file's finished run: its kind (clean, warnings, failing), partition and status."""

    kind: str
    name: str
    partition: str
    run_id: str
    status: str


@dataclass(frozen=True)
class RunningDemo:
    """A running demo: the Dagster UI's base URL, the demo folder and its files' runs."""

    url: str
    folder: Path
    runs: dict[str, FileRun]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _graphql(url: str, query: str, variables: dict[str, str]) -> dict[str, object]:
    """The ``data`` of one GraphQL query to the Dagster webserver."""
    answer = requests.post(f"{url}/graphql", json={"query": query, "variables": variables},
                           timeout=30)
    answer.raise_for_status()
    data: dict[str, object] = answer.json()["data"]
    return data


def finished_runs(url: str) -> dict[str, FileRun]:
    """The demo files whose intake runs have finished, by kind (the latest run of each)."""
    data = _graphql(url, _RUNS, {"job": INTAKE_JOB})["runsOrError"]
    found: dict[str, FileRun] = {}
    for run in data.get("results", []) if isinstance(data, dict) else []:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        partition = tags.get("dagster/partition", "")
        for demo_file in DEMO_FILES:
            if partition.startswith(f"{demo_file.name}@") and demo_file.kind not in found \
                    and run["status"] in _DONE:
                found[demo_file.kind] = FileRun(demo_file.kind, demo_file.name, partition,
                                                run["runId"], run["status"])
    return found


def _wait(what: str, seconds: float, ready: Callable[[], bool], proc: subprocess.Popen[bytes],
          log: Path) -> None:
    """Call ``ready`` until it is true; a clear error if the demo stops or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"the demo stopped while waiting for {what}: "
                            f"{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(requests.RequestException):
            if ready():
                return
        time.sleep(2)
    raise DemoError(f"{what}: not within {seconds:.0f} s (log: {log})")


@contextlib.contextmanager
def running_demo(folder: Path, *, workspace: Path | None = None,
                 timeout: float = 900) -> Iterator[RunningDemo]:
    """Write the demo into ``folder`` and run it (``pvt demo run``) on free ports; yield once
    its three files' runs have finished and the failing file's email has gone out; stop it all
    (SIGINT, as Ctrl-C) on the way out."""
    env = {**os.environ, SMTP_PORT_ENV: str(free_port()), SF_PORT_ENV: str(free_port()),
           PUSH_PORT_ENV: str(free_port())}
    previous = {name: os.environ.get(name) for name in (SMTP_PORT_ENV, SF_PORT_ENV,
                                                        PUSH_PORT_ENV)}
    os.environ.update({name: env[name] for name in previous})  # write_demo reads the config
    try:
        write_demo(folder)
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    port = free_port()
    pvt = Path(sys.executable).parent / "pvt"
    command = [str(pvt), "demo", "run", "--dir", str(folder), "--port", str(port)]
    if workspace is not None:
        command += ["--workspace", str(workspace)]
    log = folder / "demo_run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=workspace.parent if workspace is not None else None,
                                start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("the Dagster UI", 240, lambda: requests.get(f"{url}/server_info",
                                                           timeout=5).ok, proc, log)
        _wait("the demo files' runs", timeout,
              lambda: len(finished_runs(url)) == len(DEMO_FILES), proc, log)
        _wait("the failing file's email", 180, lambda: any((folder / "mail").glob("*.eml")),
              proc, log)
        yield RunningDemo(url, folder, finished_runs(url))
    finally:
        stop_process(proc, timeout=60)
