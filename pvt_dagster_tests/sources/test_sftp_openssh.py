"""SFTP downloads over OpenSSH's ssh, against sshd on 127.0.0.1: the bytes are the server's,
ssh runs with strict host checking against the source's known_hosts only and without the
user's config, its copy of the key is gone once it has authenticated, it is reaped on close;
and a source ssh cannot carry downloads through paramiko, saying why."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from pathlib import Path

import pytest

from pvt_dagster.config.models import SecretRef
from pvt_dagster.demo.launcher import descendants
from pvt_dagster.errors import SourceError
from pvt_dagster.sources import sftp as sftp_module
from pvt_dagster.sources.sftp import OPENSSH_FROM
from pvt_dagster.sources.sftp_openssh import unusable_reason
from pvt_dagster.transport import receive
from pvt_dagster_tests.sources.test_sftp import source
from pvt_dagster_tests.support.procs import argv, parent_pid
from pvt_dagster_tests.support.servers.sshd import SshServer


def _ssh_children() -> list[list[bytes]]:
    """Command lines of this process's ssh children."""
    found = []
    for pid in descendants(os.getpid()):
        with contextlib.suppress(OSError):
            if parent_pid(pid) == os.getpid() and (args := argv(pid))[0] == b"ssh":
                found.append(args)
    return found


def _read_all(stream: object) -> bytes:
    chunks = []
    while chunk := stream.read(1 << 20):  # type: ignore[attr-defined]
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_download_goes_through_ssh_with_strict_host_checking(sshd: SshServer,
                                                               tmp_path: Path) -> None:
    data = os.urandom(OPENSSH_FROM + 17)
    sshd.put("big.bin", data)
    sshd.put("small.bin", b"small")
    src = source(sshd)
    try:
        with src.open_read("small.bin") as stream:  # read before ssh would be up: paramiko
            assert _read_all(stream) == b"small" and not _ssh_children()
        assert src.downloads_via == "paramiko"
        with src.open_read("big.bin") as stream:
            (argv,) = _ssh_children()
            assert _read_all(stream) == data
        assert src.downloads_via == "openssh"
        got = receive(src, src.stat("big.bin"), tmp_path / "vault" / "big.bin")
        assert (tmp_path / "vault" / "big.bin").read_bytes() == data and got.bytes == len(data)
    finally:
        src.close()
    assert not _ssh_children()  # reaped
    options = {a.decode() for a in argv}
    assert {"StrictHostKeyChecking=yes", f"UserKnownHostsFile={sshd.known_hosts}",
            "GlobalKnownHostsFile=/dev/null", "UpdateHostKeys=no", "BatchMode=yes",
            "IdentitiesOnly=yes", "IdentityAgent=none"} <= options
    assert argv[argv.index(b"-F") + 1] == b"/dev/null"  # no user or system ssh config
    assert argv[-3:] == [b"--", b"127.0.0.1", b"sftp"]
    key = Path(argv[argv.index(b"-i") + 1].decode())
    assert not key.exists() and not key.parent.exists()  # gone once ssh authenticated


def test_a_server_dropping_an_ssh_download_is_a_source_error(sshd: SshServer) -> None:
    sshd.put("big.bin", os.urandom(64 * 1024 * 1024))
    src = source(sshd)
    try:
        with pytest.raises(SourceError, match="cannot read"), src.open_read("big.bin") as s:
            s.read(1 << 20)
            assert src.downloads_via == "openssh"
            sshd.kill()
            _read_all(s)
    finally:
        src.close()
    assert not _ssh_children()


def _encrypted_key(tmp_path: Path, sshd: SshServer) -> Path:
    """The test client's key, re-encrypted with a passphrase."""
    key = tmp_path / "enc_key"
    key.write_bytes(sshd.client_key.read_bytes())
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "secret pass", "-f", str(key)],
                   check=True)
    return key


@pytest.mark.parametrize("why", ["passphrase", "configured", "no ssh", "ssh refuses"])
def test_a_source_ssh_cannot_carry_downloads_through_paramiko(
        sshd: SshServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, why: str) -> None:
    monkeypatch.setattr(sftp_module, "OPENSSH_FROM", 0)  # every download would use ssh
    data = b"id,name\n1,Ann\n"
    sshd.put("a.csv", data)
    changes: dict[str, object] = {}
    if why == "passphrase":
        monkeypatch.setenv("PVT_TEST_KEY_PASS", "secret pass")
        changes = {"private_key": SecretRef(file=_encrypted_key(tmp_path, sshd)),
                   "private_key_passphrase": SecretRef(env="PVT_TEST_KEY_PASS")}
    elif why == "configured":
        changes = {"ssh_client": "paramiko"}
    elif why == "no ssh":
        monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no ssh on the PATH
    src = source(sshd, **changes)
    if why == "ssh refuses":  # ssh's own checks fail where paramiko's pass: a broken HOME
        monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
        fake = tmp_path / "ssh"
        fake.write_text("#!/bin/sh\necho 'ssh: connect to host: Permission denied' >&2\nexit 255\n")
        fake.chmod(0o755)
    expected = {"passphrase": "its private key has a passphrase",
                "configured": "ssh_client: paramiko", "no ssh": "OpenSSH's ssh is not installed",
                "ssh refuses": None}[why]
    assert unusable_reason(src.config) == expected
    try:
        with caplog.at_level(logging.WARNING), src.open_read("a.csv") as stream:
            assert _read_all(stream) == data
        assert src.downloads_via == "paramiko"
        with src.open_read("a.csv") as stream:  # asked once: later downloads go straight on
            assert _read_all(stream) == data
    finally:
        src.close()
    warnings = [r.getMessage() for r in caplog.records
                if "downloads use paramiko" in r.getMessage()]
    if why == "ssh refuses":
        (warning,) = warnings
        assert "ssh could not connect: ssh: connect to host: Permission denied" in warning
    else:
        assert not warnings  # a known, configured reason is not a warning each time
