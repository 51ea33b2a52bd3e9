"""The fault campaign's world: real servers (OpenSSH sshd, pyftpdlib, moto behind a TCP relay
that can be cut, a local folder), the SMTP catcher and the Salesforce stand-in, a config with
one feed per source delivering to a daily CSV and a table, and ``dagster dev`` on it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from pvt_dagster.demo.launcher import descendants
from pvt_dagster_tests.support.campaign.faultnet import Relay
from pvt_dagster_tests.support.procs import argv, parent_pid
from pvt_dagster_tests.support.servers.common import free_port
from pvt_dagster_tests.support.servers.ftpd import PASSWORD as FTP_PASSWORD
from pvt_dagster_tests.support.servers.ftpd import FtpServer
from pvt_dagster_tests.support.servers.moto_s3 import REGION, MotoS3, start_moto
from pvt_dagster_tests.support.servers.salesforce import SalesforceStandIn
from pvt_dagster_tests.support.servers.smtp import SmtpServer
from pvt_dagster_tests.support.servers.sshd import SshServer
from pvt_dagster_tests.support.servers.tls import self_signed

REPO = Path(__file__).resolve().parents[3]
SOURCES = ("sftp", "ftp", "s3", "local")
OPS = "ops@example.org"
ENV = {"PVT_TEST_FTP_PASSWORD": FTP_PASSWORD}

CONFIG = """\
home: {home}
ledger: {{url: null}}
notify:
  email: {{host: 127.0.0.1, port: {smtp_port}, sender: pvt@example.org, timeout_seconds: 3}}
  salesforce: {{instance_url: "{sf_url}", session_id: {{env: PVT_CAMPAIGN_SF_TOKEN}},
               ca_bundle: {sf_cert}, timeout_seconds: 3}}
  routes:
    - match: {{}}
      send: [email:{ops}, salesforce]
  dispatch_seconds: 2
  retry: {{initial_seconds: 1, max_seconds: 4, claim_timeout_seconds: 30}}
clients:
  acme:
    max_consecutive_failures: 100000
    transfer: {{retries: 6, backoff_seconds: 1, max_backoff_seconds: 4}}
    recovery: {{grace_seconds: {grace}, max_retries: 8}}
    polling: {{interval_seconds: 1, quiesce_seconds: {quiesce}}}
    sources:
      sftp:
{sftp}
      ftp:
{ftp}
      s3:
        kind: s3
        bucket: {bucket}
        prefix: in/
        endpoint_url: {s3_url}
        region: {region}
        addressing_style: path
        access_key_id: {{env: PVT_CAMPAIGN_S3_KEY}}
        secret_access_key: {{env: PVT_CAMPAIGN_S3_SECRET}}
        after_transfer: delete
      local:
        kind: local
        path: {local}
        after_transfer: delete
    feeds:
{feeds}"""

FEED = """\
      m_{source}:
        source: {source}
        pattern: "{source}_*.csv"
        decrypt: none
        columns:
          member_id: {{pii: false}}
          ssn:
            required: true
            checks: [{{rule: pattern, pattern: ssn, severity: failure}}]
            scrub: [strip_hyphens]
          phone:
            checks: [{{rule: pattern, pattern: us_phone, severity: warning}}]
        deliver:
          - {{kind: daily_csv, dir: {out}}}
          - {{kind: table, table: members, url: "sqlite:///{tables}"}}
"""


@dataclass
class World:
    """Everything the campaign runs against, and how to stop it."""

    root: Path
    sftp: SshServer
    ftp: FtpServer
    moto: MotoS3
    relay: Relay
    bucket: str
    local: Path
    smtp: SmtpServer
    sf: SalesforceStandIn
    config_path: Path
    out: Path
    env: dict[str, str]
    dagster: subprocess.Popen[bytes] | None = None
    dagster_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def tables(self) -> Path:
        """The SQLite database of the table target (never the ledger's)."""
        return self.root / "tables.db"

    @property
    def home(self) -> Path:
        """The PVT home (ledger.db lives there)."""
        return self.root / "home"

    def put(self, source: str, name: str, data: bytes) -> None:
        """Drop a file at a source, as the client would."""
        if source == "sftp":
            self.sftp.put(name, data)
        elif source == "ftp":
            self.ftp.put(name, data)
        elif source == "s3":
            self.moto.client().put_object(Bucket=self.bucket, Key=f"in/{name}", Body=data)
        else:
            partial = self.local / f".{name}.part"
            partial.write_bytes(data)
            os.replace(partial, self.local / name)

    def rename(self, source: str, old: str, new: str) -> bool:
        """Rename a file at its source; False if it is gone already."""
        try:
            if source == "s3":
                s3 = self.moto.client()
                s3.copy_object(Bucket=self.bucket, Key=f"in/{new}",
                               CopySource={"Bucket": self.bucket, "Key": f"in/{old}"})
                s3.delete_object(Bucket=self.bucket, Key=f"in/{old}")
            else:
                folder = self.folder(source)
                os.rename(folder / old, folder / new)
        except Exception:
            return False
        return True

    def exists(self, source: str, name: str) -> bool:
        """Whether ``name`` is at the source now."""
        return name in self.listing(source)

    def folder(self, source: str) -> Path:
        """The folder a filesystem-backed source serves."""
        return {"sftp": self.sftp.upload, "ftp": self.ftp.root, "local": self.local}[source]

    def listing(self, source: str) -> list[str]:
        """The names at a source now (hidden partial files excluded)."""
        if source == "s3":
            pages = self.moto.client().get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix="in/")
            return [o["Key"][3:] for p in pages for o in p.get("Contents", [])]
        return sorted(p.name for p in self.folder(source).iterdir()
                      if p.is_file() and not p.name.startswith("."))

    def run_workers(self) -> list[int]:
        """Pids of the run workers under ``dagster dev``: children of the run launcher's
        forkserver (they share its command line), or processes the code server spawned."""
        if self.dagster is None:
            return []
        found = []
        for pid in descendants(self.dagster.pid):
            with contextlib.suppress(OSError, IndexError, ValueError):
                mine = b" ".join(argv(pid))
                parents = b" ".join(argv(parent_pid(pid)))
                if (b"forkserver" in mine and b"forkserver" in parents) or \
                        (b"spawn_main" in mine and b"grpc" in parents):
                    found.append(pid)
        return found


def _config(world_root: Path, sftp: SshServer, ftp: FtpServer, relay: Relay, bucket: str,
            smtp: SmtpServer, sf: SalesforceStandIn, *, quiesce: int, grace: float) -> str:
    out, tables = world_root / "out", world_root / "tables.db"
    feeds = "".join(FEED.format(source=s, out=out, tables=tables) for s in SOURCES)
    return CONFIG.format(
        home=world_root / "home", smtp_port=smtp.port, sf_url=sf.url, sf_cert=sf.cert, ops=OPS,
        grace=grace, quiesce=quiesce, sftp=sftp.source_yaml(), ftp=ftp.source_yaml(),
        bucket=bucket, s3_url=f"http://127.0.0.1:{relay.port}", region=REGION,
        local=world_root / "local", feeds=feeds)


def build_world(root: Path, *, quiesce: int = 2, grace: float = 5) -> World:
    """Start every server and write the config (``dagster dev`` is started separately)."""
    sftp, ftp = SshServer(root), FtpServer(root)
    sftp.start()
    ftp.start()
    moto = start_moto(root)
    bucket = moto.new_bucket()
    relay = Relay(int(moto.endpoint.rsplit(":", 1)[1]))
    relay.start()
    cert, key = self_signed(root / "tls")
    sf = SalesforceStandIn(cert, key).start()
    smtp = SmtpServer()
    smtp.start()
    (root / "local").mkdir()
    (root / "out").mkdir()
    config_path = root / "pvt.yaml"
    config_path.write_text(_config(root, sftp, ftp, relay, bucket, smtp, sf, quiesce=quiesce,
                                   grace=grace))
    os.chmod(config_path, 0o600)
    env = {**ENV, "PVT_CAMPAIGN_SF_TOKEN": sf.token, "PVT_CAMPAIGN_S3_KEY": moto.access_key_id,
           "PVT_CAMPAIGN_S3_SECRET": moto.secret_access_key}
    return World(root, sftp, ftp, moto, relay, bucket, root / "local", smtp, sf, config_path,
                 root / "out", env)


def start_dagster(world: World) -> None:
    """``dagster dev`` on the world's config with the repo's dagster.yaml (run monitoring
    polled more often, so a killed worker's run is marked over sooner)."""
    home = world.root / "dagster_home"
    home.mkdir()
    text = (REPO / "dagster.yaml").read_text().replace("poll_interval_seconds: 20",
                                                        "poll_interval_seconds: 5")
    (home / "dagster.yaml").write_text(text)
    port = free_port()
    env = {**os.environ, **world.env, "PVT_CONFIG": str(world.config_path),
           "DAGSTER_HOME": str(home)}
    log = (world.root / "dagster_dev.log").open("wb")
    world.dagster = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p",
         str(port), "-w", "workspace.yaml"], cwd=REPO, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    world.dagster_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if world.dagster.poll() is not None:
            raise RuntimeError((world.root / "dagster_dev.log").read_text()[-3000:])
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{world.dagster_url}/server_info", timeout=2).status_code == 200:
                return
        time.sleep(1)
    raise RuntimeError("dagster dev did not answer within 180 s")


def stop_world(world: World) -> None:
    """Stop ``dagster dev`` (SIGINT to its group, then SIGKILL) and every server, by pid."""
    if world.dagster is not None:
        world.dagster.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            world.dagster.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(world.dagster.pid, signal.SIGKILL)
    stoppers: list[Any] = [world.smtp.stop, world.sf.stop, world.relay.kill, world.ftp.stop,
                           world.sftp.close]
    for stop in stoppers:
        with contextlib.suppress(Exception):
            stop()
    from pvt_dagster_tests.support.servers.common import kill_tree
    kill_tree(world.moto.proc)
    shutil.rmtree(world.root / "dagster_home", ignore_errors=True)
