"""Each remote kind (sftp with a key and with a password, ftp, ftps) ingests real encrypted
files through the same stages as the local source, to ``delivered``, with ingestion metrics in
the ledger and in ``pvt files --json``."""

from __future__ import annotations

import json

import pytest

from pvt_dagster.cli import main
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily
from pvt_dagster_tests.support.remote import Server, encrypted, use_source
from pvt_dagster_tests.support.servers.ftpd import FtpServer
from pvt_dagster_tests.support.servers.sshd import SshServer


def deliver_one(env: IntakeEnv, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """Put one encrypted file on the server, run everything, check it is delivered."""
    server.put("members_remote.csv.pgp", encrypted(env, csv_bytes(GOOD_ROWS)))
    intake = env.intake()
    try:
        (status,) = process_all(intake).values()
        assert status == "delivered"
        (record,) = intake.ledger.list_files()
        assert record.name == "members_remote.csv.pgp"
        raw = record.metrics["raw"]
        assert raw["bytes"] == record.bytes and raw["attempts"] == 1
        assert raw["seconds"] >= 0 and raw["throughput_bytes_per_s"] > 0
        assert [e.action for e in intake.ledger.events(record.key)][:2] == [
            "receive", "after_transfer:delete"]
    finally:
        intake.close()
    assert [r["_pvt_key"] for r in read_daily(env.out)] == [record.key] * len(GOOD_ROWS)
    capsys.readouterr()
    assert main(["--config", str(env.config_path), "files", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["metrics"]["raw"]["throughput_bytes_per_s"] == raw["throughput_bytes_per_s"]


def test_sftp_with_a_key(intake_env: IntakeEnv, sshd: SshServer,
                         capsys: pytest.CaptureFixture[str]) -> None:
    use_source(intake_env, sshd.source_yaml())
    deliver_one(intake_env, sshd, capsys)
    assert list(sshd.upload.iterdir()) == []  # deleted at the source after verification


def test_sftp_with_a_password(intake_env: IntakeEnv, sshd: SshServer,
                              capsys: pytest.CaptureFixture[str]) -> None:
    use_source(intake_env, sshd.source_yaml(auth="password"))
    deliver_one(intake_env, sshd, capsys)


def test_ftp(intake_env: IntakeEnv, ftpd: FtpServer,
             capsys: pytest.CaptureFixture[str]) -> None:
    use_source(intake_env, ftpd.source_yaml())
    deliver_one(intake_env, ftpd, capsys)
    assert list(ftpd.root.iterdir()) == []


def test_ftps(intake_env: IntakeEnv, ftpsd: FtpServer,
              capsys: pytest.CaptureFixture[str]) -> None:
    use_source(intake_env, ftpsd.source_yaml())
    deliver_one(intake_env, ftpsd, capsys)
