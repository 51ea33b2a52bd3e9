"""Transport under faults, against OpenSSH's sshd on 127.0.0.1: a server killed mid-transfer
(retried after it is back; nothing partial in the vault), a server that stays down (failed,
reported, not requested again), a file that grows or disappears, refused credentials, a delete
that fails at the source (reported, never ingested twice), constraints, untrusted names and a
listing of 10,000 files. Every outcome is a recorded, reported state."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pvt_dagster.errors import FileRejectedError, PvtError, SourceChangedError
from pvt_dagster.pipeline import Intake
from pvt_dagster.pipeline.raw import run_raw
from pvt_dagster.sources import sftp as sftp_module
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import poll, run_file, settle
from pvt_dagster_tests.support.remote import encrypted, use_source
from pvt_dagster_tests.support.servers.sshd import SshServer

BIG = 48 * 1024 * 1024
RETRY = "transfer: {retries: 3, backoff_seconds: 0.5}"


def big_file(server: SshServer, name: str = "plain_big.csv") -> Path:
    """A large file on the server, written in chunks."""
    path = server.upload / name
    block = os.urandom(1024 * 1024)
    with path.open("wb") as out:
        for _ in range(BIG // len(block)):
            out.write(block)
    server.own(path)
    return path


def when_transfer_starts(vault: Path, action: Callable[[], None]) -> threading.Thread:
    """Run ``action`` in a thread once a partial file in ``vault`` holds a few MB."""
    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            parts = list(vault.glob("**/.*.part")) if vault.exists() else []
            if any(p.exists() and p.stat().st_size > 4 * 1024 * 1024 for p in parts
                   if _exists(p)):
                action()
                return
            time.sleep(0.005)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _exists(path: Path) -> bool:
    try:
        path.stat()
    except OSError:
        return False
    return True


def no_partial_files(intake: Intake) -> bool:
    """Nothing half-written anywhere in the vault."""
    return not list((intake.config.home / "vault").glob("**/*.part"))


def messages(intake: Intake, key: str) -> list[str]:
    """The kinds of the outbox messages about a file."""
    return [m.kind for m in intake.ledger.messages() if m.file_key == key]


# paramiko's own prefetch thread sees the socket close when the server is killed: expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_server_killed_mid_transfer_is_retried_after_restart(intake_env: IntakeEnv,
                                                            sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=RETRY)
    source_file = big_file(sshd)
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)

        def crash_and_restart() -> None:
            sshd.kill()
            time.sleep(0.2)
            sshd.start()

        watcher = when_transfer_starts(intake.config.home / "vault", crash_and_restart)
        result = run_raw(intake, ready.key, run_id="r1")
        watcher.join(10)
        record = intake.ledger.get_file(ready.key)
        assert record.status == "received" and result.attempts == 2
        assert record.metrics["raw"]["failed_attempts"][0]["attempt"] == 1
        assert intake.layout.vault_path(ready.key).stat().st_size == BIG
        assert no_partial_files(intake)
        assert not source_file.exists()  # deleted only after the verified copy
    finally:
        intake.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_server_down_for_every_retry_fails_and_is_not_hammered(intake_env: IntakeEnv,
                                                               sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(),
               client_extra="transfer: {retries: 2, backoff_seconds: 0.1}")
    source_file = big_file(sshd)
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
        watcher = when_transfer_starts(intake.config.home / "vault", sshd.kill)
        try:
            run_raw(intake, ready.key, run_id="r1")
        except PvtError as exc:
            assert "gave up after 3 attempts" in str(exc)
        else:  # pragma: no cover
            raise AssertionError("the transfer should have failed")
        watcher.join(10)
        record = intake.ledger.get_file(ready.key)
        assert record.status == "failed" and record.stage is None
        assert "gave up after 3 attempts" in (record.error or "")
        (event,) = intake.ledger.events(ready.key)
        assert event.outcome == "error" and len(event.details["attempts"]) == 3
        assert "raw_failed" in messages(intake, ready.key)
        assert no_partial_files(intake) and not intake.layout.vault_path(ready.key).exists()
        sshd.start()
        assert poll(intake).ready == [] and poll(intake, seconds_later=5).ready == []
        assert intake.ledger.get_file(ready.key).status == "failed"
        assert source_file.exists()  # nothing lost: still at the source
    finally:
        intake.close()


def test_file_growing_during_transfer_waits_and_is_taken_whole(intake_env: IntakeEnv,
                                                              sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=RETRY)
    source_file = big_file(sshd)
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)

        def grow() -> None:
            with source_file.open("ab") as out:
                out.write(b"more rows\n" * 1000)

        watcher = when_transfer_starts(intake.config.home / "vault", grow)
        with contextlib.suppress(SourceChangedError):
            run_raw(intake, ready.key, run_id="r1")
        watcher.join(10)
        record = intake.ledger.get_file(ready.key)
        assert record.status == "discovered" and record.run_seq == 1
        assert no_partial_files(intake) and not intake.layout.vault_path(ready.key).exists()
        (again,) = settle(intake)
        assert again.key == ready.key and again.size == BIG + 10_000
        run_raw(intake, ready.key, run_id="r2")
        assert intake.layout.vault_path(ready.key).stat().st_size == BIG + 10_000
    finally:
        intake.close()


def test_file_deleted_between_listing_and_download_is_rejected(intake_env: IntakeEnv,
                                                              sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=RETRY)
    sshd.put("plain_gone.csv", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
        (sshd.upload / "plain_gone.csv").unlink()
        try:
            run_raw(intake, ready.key, run_id="r1")
        except FileRejectedError as exc:
            assert "disappeared" in str(exc)
        record = intake.ledger.get_file(ready.key)
        assert record.status == "rejected" and "disappeared" in (record.error or "")
        assert "rejected" in messages(intake, ready.key)
        assert not intake.layout.vault_path(ready.key).exists()
    finally:
        intake.close()


def test_refused_credentials_fail_at_once_without_retries(intake_env: IntakeEnv,
                                                          sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=RETRY)
    sshd.put("plain_a.csv", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
    finally:
        intake.close()
    (sshd.srv / "authkeys" / "pvtsftp").write_text("")  # the server no longer knows our key
    intake = intake_env.intake()
    try:
        started = time.monotonic()
        assert run_file(intake, ready.key) == "failed"
        assert time.monotonic() - started < 5  # no backoff: retrying cannot help
        record = intake.ledger.get_file(ready.key)
        assert "refused the credentials" in (record.error or "")
        (event,) = intake.ledger.events(ready.key)
        assert len(event.details["attempts"]) == 1
    finally:
        intake.close()


def test_failed_delete_is_reported_and_never_ingested_twice(intake_env: IntakeEnv,
                                                            sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml())
    data = encrypted(intake_env, csv_bytes(GOOD_ROWS))
    path = sshd.put("members_stuck.csv.pgp", data)
    os.chmod(sshd.upload, 0o555)  # the account can read but no longer delete
    intake = intake_env.intake()
    try:
        (ready,) = settle(intake)
        assert run_file(intake, ready.key) == "delivered"
        cleanup = [e for e in intake.ledger.events(ready.key)
                   if e.action == "after_transfer:delete"]
        assert [e.outcome for e in cleanup] == ["error"]
        assert "source_cleanup_failed" in messages(intake, ready.key)
        assert path.exists()
        assert poll(intake).ready == [] and poll(intake, seconds_later=2).ready == []
        os.utime(path, (time.time() + 60, time.time() + 60))  # touched: looks new
        (again,) = settle(intake)
        assert again.key != ready.key
        assert run_file(intake, again.key) == "rejected"
        assert f"duplicate of {ready.key}" in (intake.ledger.get_file(again.key).error or "")
        delivered = [r for r in intake.ledger.list_files() if r.status == "delivered"]
        assert [r.key for r in delivered] == [ready.key]
    finally:
        os.chmod(sshd.upload, 0o755)
        intake.close()


def test_constraints_reject_remote_files_and_leave_them(intake_env: IntakeEnv,
                                                        sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml(), client_extra=(
        "constraints: {max_bytes: 100, min_bytes: 1, max_files_per_poll: 2,"
        " formats: [.ok.csv]}"))
    sshd.put("plain_big.ok.csv", b"x" * 101)
    sshd.put("plain_odd.csv", b"x")
    sshd.put("plain_empty.ok.csv", b"")
    for n in range(3):
        sshd.put(f"plain_{n}.ok.csv", f"ssn\n123-45-678{n}\n".encode())
    intake = intake_env.intake()
    try:
        poll(intake)
        second = poll(intake, seconds_later=1)
        assert len(second.ready) == 2  # max_files_per_poll: the third waits its turn
        reasons = {r.name: r.error for r in intake.ledger.list_files(status="rejected")}
        assert reasons == {
            "plain_big.ok.csv": "too large: 101 bytes, the limit is 100 bytes",
            "plain_odd.csv": "file name does not end with an allowed suffix (.ok.csv)",
            "plain_empty.ok.csv": "empty file (0 bytes)"}
        rejected_msgs = [m for m in intake.ledger.messages() if m.kind == "rejected"]
        assert len(rejected_msgs) == 3
        assert all("left at the source" in m.text for m in rejected_msgs)
        for record in second.ready:
            assert run_file(intake, record.key) == "delivered"
        (last,) = poll(intake, seconds_later=2).ready
        assert last.name == "plain_2.ok.csv"
        assert {p.name for p in sshd.upload.iterdir()} == {
            "plain_big.ok.csv", "plain_odd.csv", "plain_empty.ok.csv", "plain_2.ok.csv"}
    finally:
        intake.close()


def test_untrusted_names_get_safe_vault_names(intake_env: IntakeEnv, sshd: SshServer) -> None:
    use_source(intake_env, sshd.source_yaml())
    names = ["plain_...csv", "plain_" + "é" * 60 + ".csv",
             "plain_" + "a" * 240 + ".csv", "plain_-rf --no-preserve-root.csv"]
    for n, name in enumerate(names):
        sshd.put(name, f"ssn\n123-45-678{n}\n".encode())
    sshd.put("plain_\x1b[31mred\x07\n.csv", b"ssn\n123-45-6789\n")  # control characters
    intake = intake_env.intake()
    vault = intake.config.home / "vault" / "acme" / "plain"
    try:
        ready = settle(intake)
        assert sorted(r.name for r in ready) == sorted(names)  # originals kept in the ledger
        (refused,) = [r for r in intake.ledger.list_files(client="acme")
                      if r.status == "rejected"]
        assert refused.name == "plain_\\x1b[31mred\\x07\\x0a.csv"  # shown, never raw
        assert "control character" in (refused.error or "")
        for record in ready:
            run_raw(intake, record.key, run_id="r1")
            stored = intake.layout.vault_path(record.key)
            assert stored.parent == vault and stored.is_file()
            slug = stored.name
            assert len(slug) <= 100 and slug.isascii() and slug.isprintable()
            assert "/" not in slug and "..." not in slug and not slug.startswith(".")
    finally:
        intake.close()


def test_a_listing_of_ten_thousand_files(intake_env: IntakeEnv, sshd: SshServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Files that match no feed, with unmatched: ignore, so the test measures the listing and
    # the observations, not 10,000 new-file transactions (see the bench for the numbers).
    use_source(intake_env, sshd.source_yaml(extra="unmatched: ignore"))
    for n in range(10_000):
        (sshd.upload / f"other_{n:05d}.dat").write_bytes(b"x")
    sshd.put("plain_one.csv", b"ssn\n123-45-6789\n")
    intake = intake_env.intake()
    source = intake.source("acme", "drop")
    calls: list[str] = []
    real = sftp_module.listdir_attr
    monkeypatch.setattr(sftp_module, "listdir_attr",
                        lambda sftp, path: calls.append(path) or real(sftp, path))
    try:
        entries = source.list_entries()
        assert len(entries) == 10_001 and calls == ["/upload"]
        first = poll(intake)
        assert first.listed == 10_001 and [r.name for r in first.new] == ["plain_one.csv"]
        second = poll(intake, seconds_later=1)
        assert second.listed == 10_001 and [r.name for r in second.ready] == ["plain_one.csv"]
        assert len(intake.ledger.observations("acme", "drop", listed_only=True)) == 10_001
    finally:
        source.close()
        intake.close()
