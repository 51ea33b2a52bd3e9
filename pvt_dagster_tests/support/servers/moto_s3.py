"""moto's S3 server (``moto_server``) on 127.0.0.1 for s3 tests: a real HTTP S3 API with
signature checks. IAM auth is on after the first three requests (INITIAL_NO_AUTH_ACTION_COUNT),
which create a user, its access key and an inline s3:* policy: a wrong secret then gets
SignatureDoesNotMatch and an unknown key InvalidAccessKeyId, as on AWS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pvt_dagster_tests.support.servers.common import free_port, kill_tree, wait_for_port

REGION = "us-east-1"


def moto_server_path() -> str | None:
    """The moto_server script next to this Python, or on PATH."""
    beside = Path(sys.executable).parent / "moto_server"
    return str(beside) if beside.exists() else shutil.which("moto_server")


@dataclass
class MotoS3:
    """A running moto_server and the credentials of its one IAM user."""

    endpoint: str
    access_key_id: str
    secret_access_key: str
    proc: subprocess.Popen[bytes]
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, *, secret: str | None = None) -> Any:
        """A boto3 S3 client for this server (path-style addressing), made once per secret."""
        secret = secret or self.secret_access_key
        if secret not in self._clients:
            self._clients[secret] = self._new_client(secret)
        return self._clients[secret]

    def _new_client(self, secret: str) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}))

    def new_bucket(self) -> str:
        """A fresh, empty bucket with a unique name."""
        name = f"pvt-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def source_yaml(self, bucket: str, *, after_transfer: str, prefix: str = "in/",
                    key_env: str, secret_env: str, extra: str = "") -> str:
        """The YAML of an s3 source on this server (8-space indented keys)."""
        return (f"        kind: s3\n        bucket: {bucket}\n        prefix: {prefix}\n"
                f"        endpoint_url: {self.endpoint}\n        region: {REGION}\n"
                f"        addressing_style: path\n"
                f"        access_key_id: {{env: {key_env}}}\n"
                f"        secret_access_key: {{env: {secret_env}}}\n"
                f"        after_transfer: {after_transfer}\n{extra}")


def start_moto(workdir: Path) -> MotoS3:
    """Start moto_server on a free port and create its IAM user; stop it with ``stop_moto``."""
    binary = moto_server_path()
    assert binary is not None
    port = free_port()
    log = workdir / "moto.log"
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=workdir)
    try:
        wait_for_port(port, proc, timeout=30, log=log)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        iam = boto3.session.Session().client(
            "iam", endpoint_url=endpoint, region_name=REGION,
            aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam.create_user(UserName="pvt")
        key = iam.create_access_key(UserName="pvt")["AccessKey"]
        policy = {"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="pvt", PolicyName="s3", PolicyDocument=json.dumps(policy))
    except BaseException:
        kill_tree(proc)
        raise
    return MotoS3(endpoint, key["AccessKeyId"], key["SecretAccessKey"], proc)


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """One moto_server for the session (tests use their own buckets), stopped by its pid."""
    if moto_server_path() is None:
        pytest.skip("moto_server is not installed (pip install 'moto[s3]' flask flask-cors)")
    server = start_moto(tmp_path_factory.mktemp("moto"))
    try:
        yield server
    finally:
        kill_tree(server.proc)
