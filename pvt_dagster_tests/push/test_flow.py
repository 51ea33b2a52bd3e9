"""An upload flows to ``delivered``: ``pvt upload`` streams it to a real ``pvt serve``, the
push source's discovery takes it at its first sighting (no waiting to settle), and the feed's
job delivers it. ``pvt upload`` shows progress for large files, sends folders, logs in with a
token, and exits non-zero with the server's reason on any refusal."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import requests

from pvt_dagster.cli import main
from pvt_dagster.transport import sha256_file
from pvt_dagster_tests.support.flow import poll, read_daily, run_file
from pvt_dagster_tests.support.servers.common import free_port
from pvt_dagster_tests.support.servers.pvt_serve import PASSWORDS, TOKEN, PushEnv, basic

ROWS = b"member_id,ssn\n7,123-45-6789\n8,234-56-7890\n"


def upload(env: PushEnv, *files: Path, user: str = "alice", password: str | None = None,
           extra: tuple[str, ...] = ()) -> int:
    """``pvt upload`` in this process; its exit status."""
    return main(["upload", "--url", env.base(), "-u", user, "-p",
                 PASSWORDS.get(user, "") if password is None else password,
                 "--cacert", str(env.cert), *extra, *map(str, files)])


def test_an_upload_flows_to_delivered(push_server: PushEnv, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "members_2026-11-23.csv"
    path.write_bytes(ROWS)
    assert upload(push_server, path) == 0
    out = capsys.readouterr().out
    sha = re.search(r"sha256 ([0-9a-f]{64})", out)
    assert sha is not None and f"uploaded {path} -> members: {len(ROWS)} bytes" in out
    intake = push_server.intake()
    try:
        # quiesce_seconds is 3600: a push file is ready at its first sighting all the same.
        ready = poll(intake, source_name="uploads").ready
        assert [r.name for r in ready] == [path.name]
        assert run_file(intake, ready[0].key) == "delivered"
        record = intake.ledger.get_file(ready[0].key)
        assert record.raw_sha256 == sha.group(1)
        assert sha256_file(intake.layout.vault_path(record.key)) == sha.group(1)
        rows = [r for r in read_daily(push_server.root / "out") if r["_pvt_key"] == record.key]
        assert [r["ssn"] for r in rows] == ["123456789", "234567890"]
        assert list(push_server.area().incoming.iterdir()) == []  # after_transfer: delete
        # Taken in and done: the same name may be sent again, as a new delivery.
        assert upload(push_server, path) == 0
        again = poll(intake, source_name="uploads").ready
        assert [r.name for r in again] == [path.name] and again[0].key != record.key
        assert run_file(intake, again[0].key) == "rejected"  # the same bytes: a duplicate
        # A rejected file stays in the area; a corrected upload of that name replaces it.
        assert [p.name for p in push_server.area().incoming.iterdir()] == [path.name]
        path.write_bytes(ROWS + b"9,345-67-8901\n")
        assert upload(push_server, path) == 0
        third = poll(intake, source_name="uploads").ready
        assert [r.name for r in third] == [path.name]
        assert run_file(intake, third[0].key) == "delivered"
    finally:
        intake.close()


def test_pvt_upload_shows_progress_sends_folders_and_uses_tokens(
        push_server: PushEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    big = folder / "members_big.csv"
    big.write_bytes(b"member_id,ssn\n" + b"9,345-67-8901\n" * 200_000)  # 2.8 MB
    (folder / "small_note.txt").write_bytes(b"hello\n")
    (folder / ".hidden").write_bytes(b"never sent\n")
    monkeypatch.setenv("PVT_UPLOAD_TOKEN", TOKEN)
    code = main(["upload", "--url", push_server.base(), "--cacert", str(push_server.cert),
                 str(folder)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "members_big.csv: 50%" in captured.err and "members_big.csv: 100%" in captured.err
    assert "small_note.txt:" not in captured.err  # small files show no progress
    assert "-> small: 6 bytes" in captured.out and "2 uploaded, 0 refused" in captured.err
    assert sorted(p.name for p in push_server.area().incoming.iterdir()) == [
        "members_big.csv", "small_note.txt"]
    assert (push_server.area().incoming / "members_big.csv").read_bytes() == big.read_bytes()
    for child in push_server.area().incoming.iterdir():
        child.unlink()


def test_pvt_upload_exits_non_zero_with_the_reason(push_server: PushEnv, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    good, odd = tmp_path / "members_ok.csv", tmp_path / "notes.md"
    good.write_bytes(ROWS)
    odd.write_bytes(b"# no feed takes this\n")
    assert upload(push_server, good, password="wrong") == 1
    assert "refused (401): bad credentials" in capsys.readouterr().err
    assert upload(push_server, odd) == 1
    assert "notes.md: not sent: matches no feed's pattern" in capsys.readouterr().err
    assert upload(push_server, good, extra=("-d", "small")) == 1
    assert "does not match feed small's pattern" in capsys.readouterr().err
    big = tmp_path / "small_big.txt"
    big.write_bytes(b"x" * 2000)
    assert upload(push_server, big) == 1
    assert "too large: 2000 bytes, the limit is 1000 bytes" in capsys.readouterr().err
    assert upload(push_server, good, user="bob", extra=("-d", "members")) == 1
    assert "refused (403): user bob may not use the area of client 'acme'" in \
        capsys.readouterr().err
    assert upload(push_server, tmp_path / "missing.csv") == 2
    assert list(push_server.area().incoming.iterdir()) == []
    # A refusal by the server itself (the client's own checks passed): the name is waiting.
    assert upload(push_server, good) == 0
    assert upload(push_server, good) == 1
    assert "refused (409): an upload named 'members_ok.csv' is waiting" in capsys.readouterr().err
    (push_server.area().incoming / good.name).unlink()


def test_pvt_upload_environment_errors_exit_3(push_server: PushEnv, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "members_x.csv"
    path.write_bytes(ROWS)
    code = main(["upload", "--url", push_server.base(), "-u", "alice", "-p",
                 PASSWORDS["alice"], str(path)])  # no --cacert: the certificate is unknown
    assert code == 3 and "certificate does not verify" in capsys.readouterr().err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    code = main(["upload", "--url", f"https://127.0.0.1:{closed}/v1/acme", "-u", "alice",
                 "-p", "x", str(path)])
    assert code == 3 and "cannot reach the server" in capsys.readouterr().err
    assert main(["upload", "--url", push_server.base(), str(path)]) == 2


def test_pvt_serve_refuses_plain_http_off_loopback(push_server: PushEnv, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "pvt.yaml"
    config.write_text(f"home: {tmp_path / 'home'}\npush: {{port: {free_port()}}}\n")
    assert main(["--config", str(config), "serve", "--host", "0.0.0.0"]) == 2
    assert "refusing plain HTTP on 0.0.0.0" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"home: {tmp_path / 'home'}\npush: {{host: 10.1.2.3}}\n")
    assert main(["--config", str(bad), "config", "check"]) == 1
    assert "needs tls" in capsys.readouterr().out
    # And the real server does speak TLS only.
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{push_server.port}/v1/acme/constraints",
                     headers={"Authorization": basic("alice")}, timeout=10)
