"""The sftp source against OpenSSH's sshd on 127.0.0.1: listing (one listdir_attr per folder),
streaming reads, archive and delete, host keys refused unless trusted (and `pvt sources
trust` recording one as an operator action), bad credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.config.models import SecretRef, SftpSource
from pvt_dagster.errors import ServerIdentityError, SourceAuthError, SourceEntryGoneError
from pvt_dagster.pipeline import Intake
from pvt_dagster.sources import sftp as sftp_module
from pvt_dagster.sources.sftp import SftpFolderSource
from pvt_dagster.sources.sftp_listing import parse_names
from pvt_dagster.transport import receive
from pvt_dagster_tests.support.servers.sshd import REMOTE_ROOT, USER, SshServer, keygen


def source(server: SshServer, **changes: object) -> SftpFolderSource:
    """An sftp source on the test server (key auth unless changed)."""
    fields: dict[str, object] = dict(
        kind="sftp", host="127.0.0.1", port=server.port, username=USER,
        private_key=SecretRef(file=server.client_key), known_hosts=server.known_hosts,
        path=REMOTE_ROOT, after_transfer="archive:done", timeout_seconds=10)
    fields.update(changes)
    return SftpFolderSource("drop", SftpSource(**fields))  # type: ignore[arg-type]


def test_lists_recursively_with_one_listdir_per_folder(sshd: SshServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sshd.put("a.csv", b"alpha")
    sshd.put("sub/b.csv", b"beta")
    sshd.put("sub/deeper/c.csv", b"gamma")
    (sshd.upload / "done").mkdir()  # the archive folder is never listed
    (sshd.upload / "link.csv").symlink_to(sshd.upload / "a.csv")
    src = source(sshd, recursive=True)
    calls: list[str] = []
    real = sftp_module.listdir_attr
    monkeypatch.setattr(sftp_module, "listdir_attr",
                        lambda sftp, path: calls.append(path) or real(sftp, path))
    try:
        entries = {e.path: e for e in src.list_entries()}
    finally:
        src.close()
    assert set(entries) == {"a.csv", "link.csv", "sub/b.csv", "sub/deeper/c.csv"}
    assert entries["a.csv"].size == 5 and entries["a.csv"].kind == "file"
    assert entries["link.csv"].kind == "symlink"
    assert sorted(calls) == ["/upload", "/upload/sub", "/upload/sub/deeper"]


def test_the_listing_parser_agrees_with_paramiko(sshd: SshServer) -> None:
    """Our struct parser of NAME replies gives paramiko's names, sizes, modes and mtimes, for
    more entries than one reply holds, with folders, symlinks and odd names among them; the
    READDIR requests kept in flight are all answered."""
    for n in range(250):
        sshd.put(f"f_{n:03d}.csv", b"x" * n)
    sshd.put("sub/inner.csv", b"inner")
    (sshd.upload / "link.csv").symlink_to(sshd.upload / "f_001.csv")
    sshd.put("caf\u00e9 \u6587\u4ef6.csv", b"unicode")
    src = source(sshd)
    try:
        client = src.sftp()
        ours = {e.filename: (e.st_size, e.st_mode, e.st_mtime)
                for e in sftp_module.listdir_attr(client, REMOTE_ROOT)}
        assert not client._expecting  # every READDIR sent ahead was answered and read
        theirs = {a.filename: (a.st_size, a.st_mode, a.st_mtime)
                  for a in client.listdir_attr(REMOTE_ROOT)}
    finally:
        src.close()
    assert len(ours) == 253
    assert ours == theirs


def test_a_malformed_name_reply_is_an_error_not_a_short_listing() -> None:
    """A reply cut short raises instead of listing fewer files than the server holds."""
    import struct

    body = struct.pack(">I", 2) + struct.pack(">I", 5) + b"a.csv" + struct.pack(">I", 0)
    body += struct.pack(">II", 0x1, 0)  # flags say a size follows, but only 4 bytes do
    with pytest.raises(struct.error):
        parse_names(body)


def test_streams_archives_and_removes(sshd: SshServer, tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # 10 MB: more than one prefetch window
    sshd.put("big.bin", data)
    sshd.put("done/big.bin", b"an earlier file of that name")
    sshd.put("gone.csv", b"x")
    src = source(sshd)
    try:
        entry = src.stat("big.bin")
        received = receive(src, entry, tmp_path / "vault" / "big.bin")
        assert received.bytes == len(data)
        assert (tmp_path / "vault" / "big.bin").read_bytes() == data
        assert src.archive("big.bin", "done") == "done/big-2.bin"  # never overwrites
        src.remove("gone.csv")
        with pytest.raises(SourceEntryGoneError):
            src.stat("gone.csv")
    finally:
        src.close()
    assert (sshd.upload / "done" / "big.bin").read_bytes() == b"an earlier file of that name"
    assert (sshd.upload / "done" / "big-2.bin").read_bytes() == data


def test_password_authentication(sshd: SshServer) -> None:
    sshd.put("a.csv", b"alpha")
    src = source(sshd, private_key=None, password=SecretRef(env="PVT_TEST_SFTP_PASSWORD"))
    try:
        assert [e.path for e in src.list_entries()] == ["a.csv"]
    finally:
        src.close()


def test_bad_credentials_are_refused_clearly(sshd: SshServer, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    stranger = tmp_path / "stranger"
    keygen(stranger)
    for src in (source(sshd, private_key=SecretRef(file=stranger)),
                source(sshd, private_key=None, password=SecretRef(env="WRONG_PW"))):
        monkeypatch.setenv("WRONG_PW", "not-the-password")
        with pytest.raises(SourceAuthError, match="refused the credentials of user 'pvtsftp'"):
            src.list_entries()
        src.close()


def test_unknown_and_changed_host_keys_are_refused(sshd: SshServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    with pytest.raises(ServerIdentityError, match=r"does not trust.*pvt sources trust"):
        source(sshd, known_hosts=empty).list_entries()
    other = tmp_path / "other_host"
    keygen(other)
    wrong = tmp_path / "wrong_known_hosts"
    offered = Path(f"{other}.pub").read_text().split()[:2]
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {' '.join(offered)}\n")
    with pytest.raises(ServerIdentityError, match=r"CHANGED.*refused"):
        source(sshd, known_hosts=wrong).list_entries()


def test_pvt_sources_trust_records_the_key_as_an_operator_action(
        sshd: SshServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    known_hosts = tmp_path / "keys" / "known_hosts"
    config = tmp_path / "pvt.yaml"
    source_yaml = sshd.source_yaml().replace(str(sshd.known_hosts), str(known_hosts))
    config.write_text(f"home: {tmp_path / 'home'}\nclients:\n  acme:\n    sources:\n"
                      f"      dropbox:\n{source_yaml}\n")
    sshd.put("a.csv", b"alpha")
    assert main(["--config", str(config), "sources", "trust", "acme/dropbox",
                 "--fingerprint", "SHA256:not-it"]) == 1
    assert not known_hosts.exists()
    capsys.readouterr()
    # No terminal to confirm on, no --fingerprint: refused (usage), the fingerprint shown.
    assert main(["--config", str(config), "sources", "trust", "acme/dropbox"]) == 2
    err = capsys.readouterr().err
    assert f"[127.0.0.1]:{sshd.port} offers host key ssh-ed25519 SHA256:" in err
    assert "nothing recorded" in err and not known_hosts.exists()
    fingerprint = err.split("ssh-ed25519 ", 1)[1].split(";")[0]
    assert main(["--config", str(config), "sources", "trust", "acme/dropbox",
                 "--fingerprint", fingerprint]) == 0
    assert "recorded in" in capsys.readouterr().out
    assert main(["--config", str(config), "sources", "trust", "acme/dropbox"]) == 0
    assert "already trusted" in capsys.readouterr().out
    intake = Intake.from_path(config)
    try:
        (action,) = intake.ledger.operator_actions(target="acme/dropbox")
        assert action.action == "trust_host_key" and action.user
        assert action.details["fingerprint"] == fingerprint
        src = intake.source("acme", "dropbox")
        assert [e.path for e in src.list_entries()] == ["a.csv"]  # trusted now
        src.close()
    finally:
        intake.close()
    assert main(["--config", str(config), "sources", "trust", "acme/nope"]) == 2


def _trust_on_a_terminal(config: Path, answer: bytes) -> tuple[int, str]:
    """``pvt sources trust acme/dropbox`` with a pseudo-terminal as stdin and stdout, answering
    the question with ``answer``: exit status and what the terminal showed."""
    import os
    import pty
    import subprocess
    import sys
    import time

    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c",
                             "import sys; from pvt_dagster.cli import entry_point; "
                             "sys.argv[0] = 'pvt'; entry_point()",
                             "--config", str(config), "sources", "trust", "acme/dropbox"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, close_fds=True)
    os.close(child_fd)
    shown = b""
    deadline = time.monotonic() + 60
    answered = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"[y/N]" in shown:
            os.write(main_fd, answer + b"\n")
            answered = True
    os.close(main_fd)
    return proc.wait(30), shown.decode(errors="replace")


def test_pvt_sources_trust_asks_on_a_terminal(sshd: SshServer, tmp_path: Path) -> None:
    known_hosts = tmp_path / "keys" / "known_hosts"
    config = tmp_path / "pvt.yaml"
    source_yaml = sshd.source_yaml().replace(str(sshd.known_hosts), str(known_hosts))
    config.write_text(f"home: {tmp_path / 'home'}\nclients:\n  acme:\n    sources:\n"
                      f"      dropbox:\n{source_yaml}\n")
    status, shown = _trust_on_a_terminal(config, b"n")
    assert status == 1 and "Trust this key? [y/N]" in shown
    assert "ssh-ed25519 SHA256:" in shown and "not confirmed; nothing recorded" in shown
    assert not known_hosts.exists()
    status, shown = _trust_on_a_terminal(config, b"y")
    assert status == 0 and "recorded in" in shown and known_hosts.exists()
