"""The production shape on one host (``make prod-check`` and a slow test): the webserver, the
daemon and ``dagster code-server start`` as separate processes on ``deploy/postgres/
dagster.yaml`` (the Dagster instance in a throwaway PostgreSQL database, compute logs in S3),
the ledger in another throwaway database, the vault and every stage output on moto's S3
server, and each run in its own scratch folder. Files of three feeds of two clients flow to
``delivered`` at once; then ``pvt files`` and ``pvt ledger verify --files`` read the same
ledger and objects, and a replay runs with every scratch folder wiped (no run depends on files
another run left behind).

``python -m pvt_dagster_tests.support.prod_shape [FILES_PER_FEED]`` prints the report."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from pvt_dagster.decrypt import Keystore, encrypt_file, generate_key
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.support.environ import environment
from pvt_dagster_tests.support.fixtures import csv_bytes
from pvt_dagster_tests.support.servers.common import free_port, kill_tree
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3, start_moto
from pvt_dagster_tests.support.servers.postgres import PgDatabase, throwaway_database

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FINAL = {"delivered", "failed", "rejected"}
KEY_EMAIL, PASSPHRASE = "prod@test.example", "prod shape passphrase"

CONFIG = """\
home: {root}/home
keystore: {{gnupghome: {gnupghome}}}
ledger: {{url: "{ledger}"}}
storage:
  url: s3://{storage}/pvt
  endpoint_url: {endpoint}
  region: {region}
  addressing_style: path
  access_key_id: {{env: PVT_S3_KEY}}
  secret_access_key: {{env: PVT_S3_SECRET}}
  scratch: {root}/scratch
clients:
  acme:
    sources:
      drop: {{kind: local, path: {root}/acme_in, after_transfer: delete}}
    polling: {{interval_seconds: 2, quiesce_seconds: 1}}
    feeds:
      members:
        source: drop
        pattern: "members_*.csv.pgp"
        decrypt: {{key: {email}, passphrase: {{env: PVT_PROD_PASSPHRASE}}}}
        columns:
          ssn: {{required: true, scrub: [strip_hyphens]}}
          state: {{scrub: [trim, upper]}}
        deliver: [{deliver}]
      plain:
        source: drop
        pattern: "plain_*.csv"
        decrypt: none
        columns:
          ssn: {{required: true, scrub: [strip_hyphens]}}
        deliver: [{deliver}]
  beta:
    sources:
      bucket:
        kind: s3
        bucket: {inbox}
        prefix: in/
        endpoint_url: {endpoint}
        region: {region}
        addressing_style: path
        access_key_id: {{env: PVT_S3_KEY}}
        secret_access_key: {{env: PVT_S3_SECRET}}
        after_transfer: delete
    polling: {{interval_seconds: 2, quiesce_seconds: 1}}
    feeds:
      claims:
        source: bucket
        pattern: "claims_*.csv"
        decrypt: none
        columns:
          ssn: {{required: true, scrub: [strip_hyphens]}}
        deliver: [{deliver}]
"""

WORKSPACE = """\
load_from:
  - grpc_server: {{host: 127.0.0.1, port: {port}, location_name: pvt_dagster}}
"""


@dataclass
class ProdShape:
    """The running shape: its folders, environment, servers and processes."""

    root: Path
    env: dict[str, str]
    moto: MotoS3
    buckets: dict[str, str]
    keystore: Keystore
    webserver: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        """The shape's ``pvt.yaml``."""
        return self.root / "pvt.yaml"

    def intake(self) -> Intake:
        """An Intake over the shape's config (secrets from its environment)."""
        with environment(self.env):
            intake = Intake.from_path(self.config_path)
            _ = intake.ledger
        return intake

    def objects(self, bucket: str) -> list[str]:
        """Every object key in one of the shape's buckets."""
        keys: list[str] = []
        pages = self.moto.client().get_paginator("list_objects_v2").paginate(
            Bucket=self.buckets[bucket])
        for page in pages:
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def pvt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The ``pvt`` command in its own process, on the shape's config and instance."""
        return subprocess.run([str(BIN / "pvt"), *args], env=self.env, capture_output=True,
                              text=True, timeout=600, check=False)


def _write_config(root: Path, moto: MotoS3, buckets: dict[str, str], ledger: PgDatabase,
                  gnupghome: Path) -> None:
    deliver = (f"{{kind: s3, bucket: {buckets['out']}, prefix: delivered, endpoint_url: "
               f"{moto.endpoint}, region: {REGION}, addressing_style: path, access_key_id: "
               "{env: PVT_S3_KEY}, secret_access_key: {env: PVT_S3_SECRET}}")
    text = CONFIG.format(root=root, gnupghome=gnupghome, ledger=ledger.sqlalchemy_url,
                         storage=buckets["storage"], inbox=buckets["inbox"],
                         endpoint=moto.endpoint, region=REGION, email=KEY_EMAIL,
                         deliver=deliver)
    (root / "pvt.yaml").write_text(text)
    os.chmod(root / "pvt.yaml", 0o600)


def _start(shape: ProdShape, name: str, args: list[str]) -> None:
    log = (shape.root / f"{name}.log").open("wb")
    shape.processes[name] = subprocess.Popen(
        args, cwd=shape.root, env=shape.env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)


def _wait_for_webserver(shape: ProdShape, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    query = {"query": "{ workspaceOrError { ... on Workspace { locationEntries { "
                      "locationOrLoadError { __typename } } } } }"}
    while time.monotonic() < deadline:
        for name, proc in shape.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: "
                                   f"{(shape.root / f'{name}.log').read_text()[-3000:]}")
        with contextlib.suppress(requests.RequestException, KeyError, TypeError):
            data = requests.post(f"{shape.webserver}/graphql", json=query, timeout=5).json()
            entries = data["data"]["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation":
                return
        time.sleep(1)
    raise RuntimeError(f"the webserver did not load the code server within {timeout:.0f} s")


@contextlib.contextmanager
def production_shape(root: Path) -> Iterator[ProdShape]:
    """Start everything under ``root``; stop every process and drop both databases after."""
    gnupghome = Path(tempfile.mkdtemp(prefix="pp", dir="/tmp"))  # gpg sockets: short paths
    keystore = Keystore(gnupghome)
    moto = start_moto(root)
    try:
        with throwaway_database("pvt_prod_dagster") as instance_db, \
                throwaway_database("pvt_prod_ledger") as ledger_db:
            generate_key(keystore, name="Prod", email=KEY_EMAIL, passphrase=PASSPHRASE,
                         algorithm="ed25519")
            buckets = {name: moto.new_bucket() for name in ("storage", "inbox", "out", "logs")}
            for folder in ("acme_in", "home", "scratch", "dagster_home"):
                (root / folder).mkdir(mode=0o700)
            _write_config(root, moto, buckets, ledger_db, gnupghome)
            dagster_home = root / "dagster_home"
            shutil.copy(REPO / "deploy" / "postgres" / "dagster.yaml",
                        dagster_home / "dagster.yaml")
            grpc = free_port()
            (dagster_home / "workspace.yaml").write_text(WORKSPACE.format(port=grpc))
            env = {**os.environ, **instance_db.env(),
                   "DAGSTER_HOME": str(dagster_home), "PVT_CONFIG": str(root / "pvt.yaml"),
                   "PVT_S3_KEY": moto.access_key_id, "PVT_S3_SECRET": moto.secret_access_key,
                   "PVT_PROD_PASSPHRASE": PASSPHRASE,
                   # the compute log manager (S3ComputeLogManager) takes boto3's chain
                   "AWS_ACCESS_KEY_ID": moto.access_key_id,
                   "AWS_SECRET_ACCESS_KEY": moto.secret_access_key,
                   "AWS_DEFAULT_REGION": REGION, "PVT_DAGSTER_S3_BUCKET": buckets["logs"],
                   "PVT_DAGSTER_S3_PREFIX": "compute-logs",
                   "PVT_DAGSTER_S3_ENDPOINT_URL": moto.endpoint}
            shape = ProdShape(root, env, moto, buckets, keystore)
            shape.intake().close()  # migrates the ledger before three processes race to
            workspace = str(dagster_home / "workspace.yaml")
            port = free_port()
            shape.webserver = f"http://127.0.0.1:{port}"
            try:
                _start(shape, "code-server", [
                    str(BIN / "dagster"), "code-server", "start", "-h", "127.0.0.1",
                    "-p", str(grpc), "-m", "pvt_dagster.definitions",
                    "--location-name", "pvt_dagster"])
                _start(shape, "webserver", [str(BIN / "dagster-webserver"), "-h", "127.0.0.1",
                                            "-p", str(port), "-w", workspace])
                _start(shape, "daemon", [str(BIN / "dagster-daemon"), "run", "-w", workspace])
                _wait_for_webserver(shape)
                yield shape
            finally:
                for proc in shape.processes.values():
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGTERM)
                for proc in shape.processes.values():
                    kill_tree(proc, timeout=30)
    finally:
        kill_tree(moto.proc)
        keystore.stop_agent()
        shutil.rmtree(gnupghome, ignore_errors=True)


def drop_files(shape: ProdShape, per_feed: int) -> int:
    """Drop ``per_feed`` files into each of the three feeds; how many were dropped."""
    for n in range(per_feed):
        rows = [[str(n * 10 + i), f"{n:03d}-45-{i:04d}", " ca "] for i in range(3)]
        plain = shape.root / f"members_{n}.csv"
        plain.write_bytes(csv_bytes(rows, ["member_id", "ssn", "state"]))
        encrypt_file(shape.keystore, plain, shape.root / "acme_in" / f"members_{n}.csv.pgp",
                     recipient=KEY_EMAIL)
        plain.unlink()
        (shape.root / "acme_in" / f"plain_{n}.csv").write_bytes(
            csv_bytes([[f"{n:03d}-11-2222"]], ["ssn"]))
        shape.moto.client().put_object(
            Bucket=shape.buckets["inbox"], Key=f"in/claims_{n}.csv",
            Body=csv_bytes([[f"{n:03d}-33-4444"]], ["ssn"]))
    return per_feed * 3


def wait_until_final(shape: ProdShape, expected: int, timeout: float) -> dict[str, str]:
    """Key -> status once ``expected`` files are final (or the time is up)."""
    intake = shape.intake()
    deadline = time.monotonic() + timeout
    try:
        while True:
            statuses: dict[str, str] = {r.key: r.status for r in intake.ledger.list_files()}
            final = [s for s in statuses.values() if s in FINAL]
            if len(final) >= expected or time.monotonic() > deadline:
                return statuses
            time.sleep(2)
    finally:
        intake.close()


def stage_files_left(shape: ProdShape, *, settle: float = 90) -> list[Path]:
    """Files left on local disk under the home's vault and work folders and the scratch
    root once the runs have ended (none: a run's local disk is scratch only, and each run
    deletes its own when it ends, just after its file's last stage is recorded)."""
    folders = [shape.root / "home" / "vault", shape.root / "home" / "work",
               shape.root / "scratch"]
    deadline = time.monotonic() + settle
    while True:
        left = [Path(top) / name for folder in folders  # os.walk: folders may vanish
                for top, _dirs, names in os.walk(folder) for name in names]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1)


@dataclass
class ProdReport:
    """What the check saw."""

    dropped: int
    statuses: dict[str, str]
    seconds: float
    stored: list[str]
    delivered_objects: list[str]
    compute_logs: list[str]
    local_files: list[Path]
    files_json: list[dict[str, object]]
    verify: subprocess.CompletedProcess[str]
    replay: subprocess.CompletedProcess[str]
    replayed_status: str

    def lines(self) -> list[str]:
        """The report, one line per fact."""
        counts: dict[str, int] = {}
        for status in self.statuses.values():
            counts[status] = counts.get(status, 0) + 1
        return [
            f"files dropped: {self.dropped} (3 feeds, 2 clients); final: {counts}",
            f"time to all final: {self.seconds:.1f} s",
            f"objects in storage: {len(self.stored)} "
            f"(vault {sum('/vault/' in k for k in self.stored)}, "
            f"scrubbed {sum('/work/scrubbed/' in k for k in self.stored)}, "
            f"plaintext {sum('/work/decrypted/' in k for k in self.stored)})",
            f"objects delivered to the S3 target: {len(self.delivered_objects)}",
            f"compute log objects in S3: {len(self.compute_logs)}",
            f"stage files left on local disk: {len(self.local_files)}",
            f"pvt files --json: {len(self.files_json)} files",
            f"pvt ledger verify --files: exit {self.verify.returncode}: "
            f"{self.verify.stdout.strip().splitlines()[-1] if self.verify.stdout else ''}",
            f"pvt replay --from validated with every scratch folder wiped: exit "
            f"{self.replay.returncode}, file {self.replayed_status}",
        ]


def run_prod_check(root: Path, per_feed: int = 3, timeout: float = 900) -> ProdReport:
    """Run the whole check under ``root`` and report what it saw."""
    with production_shape(root) as shape:
        started = time.monotonic()
        dropped = drop_files(shape, per_feed)
        statuses = wait_until_final(shape, dropped, timeout)
        seconds = time.monotonic() - started
        local = stage_files_left(shape)
        files = shape.pvt("files", "--json")
        listed = json.loads(files.stdout) if files.returncode == 0 else []
        verify = shape.pvt("ledger", "verify", "--files")
        for leftover in (shape.root / "scratch").iterdir():  # as if on another machine
            shutil.rmtree(leftover, ignore_errors=True)
        key = sorted(k for k in statuses if "/members/" in k)[0]
        replay = shape.pvt("replay", key, "--from", "validated")
        intake = shape.intake()
        try:
            replayed = intake.ledger.get_file(key).status
        finally:
            intake.close()
        return ProdReport(dropped, statuses, seconds, shape.objects("storage"),
                          shape.objects("out"), shape.objects("logs"), local,
                          listed,
                          verify, replay, replayed)


def main() -> int:
    """``make prod-check``: run the check in a temp folder and print the report."""
    per_feed = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    root = Path(tempfile.mkdtemp(prefix="pvt-prod-"))
    try:
        report = run_prod_check(root, per_feed)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for line in report.lines():
        print(line)
    ok = (set(report.statuses.values()) == {"delivered"}
          and len(report.statuses) == report.dropped and not report.local_files
          and report.verify.returncode == 0 and report.replay.returncode == 0
          and report.replayed_status == "delivered")
    print("prod-check:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
