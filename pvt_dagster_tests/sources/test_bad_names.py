"""One bad entry never stops a source: a name that is not UTF-8 on SFTP, a CR in a name on
FTP (MLSD and NLST), a NUL in a name on the pull API. Each is recorded once as `rejected` with
its reason (its name made safe to store), and the same tick takes the other files."""

from __future__ import annotations

import os

import pytest

from pvt_dagster.ledger import FileRecord
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import poll, settle
from pvt_dagster_tests.support.remote_env import use_source
from pvt_dagster_tests.support.servers.ftpd import FtpServer
from pvt_dagster_tests.support.servers.pull_api import TOKEN, PullApi
from pvt_dagster_tests.support.servers.sshd import SshServer

GOOD = csv_bytes(GOOD_ROWS)


@pytest.fixture
def sshd_env(intake_env: IntakeEnv, sshd: SshServer) -> IntakeEnv:
    """The test config with its drop source on the sshd."""
    use_source(intake_env, sshd.source_yaml(after_transfer="keep") + "\n")
    return intake_env


def records(env: IntakeEnv) -> dict[str, FileRecord]:
    """Every file of the client by name."""
    intake = env.intake()
    try:
        return {r.name: r for r in intake.ledger.list_files(client="acme")}
    finally:
        intake.close()


def takes_good_and_refuses(env: IntakeEnv, shown: str, reason: str) -> None:
    """Two polls: the good file is ready, the bad one rejected once with ``reason``."""
    intake = env.intake()
    try:
        ready = settle(intake)
        assert [r.name for r in ready] == ["plain_ok.csv"]
        again = poll(intake, seconds_later=5)
        assert again.rejected == []  # recorded once, not on every tick
        messages = [m for m in intake.ledger.messages() if m.kind == "rejected"]
        assert len(messages) == 1
    finally:
        intake.close()
    found = records(env)
    bad = found[shown]
    assert bad.status == "rejected"
    assert bad.error == f"unsafe name ({reason}): not read"
    assert "\r" not in bad.key and "\\" not in bad.key


def test_a_non_utf8_name_on_sftp(sshd_env: IntakeEnv, sshd: SshServer) -> None:
    sshd.put("plain_ok.csv", GOOD)
    bad = os.path.join(os.fsencode(sshd.upload), b"plain_r\xe9sum\xe9.csv")
    with open(bad, "wb") as out:
        out.write(GOOD)
    os.chown(bad, sshd.account.pw_uid, sshd.account.pw_gid)
    takes_good_and_refuses(sshd_env, "plain_r\\xe9sum\\xe9.csv", "its name is not valid UTF-8")


@pytest.mark.parametrize("server_fixture", ["ftpd", "ftpd_no_mlsd"], ids=["mlsd", "nlst"])
def test_a_cr_in_a_name_on_ftp(intake_env: IntakeEnv, request: pytest.FixtureRequest,
                               server_fixture: str) -> None:
    server: FtpServer = request.getfixturevalue(server_fixture)
    server.put("plain_ok.csv", GOOD)
    server.put("plain_bad\rname.csv", GOOD)
    use_source(intake_env, server.source_yaml(after_transfer="keep") + "\n")
    takes_good_and_refuses(intake_env, "plain_bad\\x0dname.csv",
                           "its name holds a control character (CR, LF, tab ...)")


def test_a_nul_in_a_name_on_the_pull_api(intake_env: IntakeEnv, pull_api: PullApi,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_PULL_TOKEN", TOKEN)
    use_source(intake_env, pull_api.source_yaml(after_transfer="keep",
                                                token_env="PVT_TEST_PULL_TOKEN"))
    pull_api.put("p1", "plain_ok.csv", GOOD)
    pull_api.put("p2", "plain_a\x00b.csv", GOOD)
    takes_good_and_refuses(intake_env, "plain_a\\x00b.csv", "its name holds a NUL byte")


def test_a_non_utf8_name_in_a_local_folder(intake_env: IntakeEnv) -> None:
    intake_env.drop_plain("plain_ok.csv", GOOD)
    with open(os.path.join(os.fsencode(intake_env.inbox), b"plain_\xff.csv"), "wb") as out:
        out.write(GOOD)
    takes_good_and_refuses(intake_env, "plain_\\xff.csv", "its name is not valid UTF-8")
