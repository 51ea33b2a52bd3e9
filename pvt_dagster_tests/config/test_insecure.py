"""Plain FTP and SMTP without TLS only to a loopback host, unless the config says
``allow_insecure: true``, which ``pvt config check`` then warns about (exit status 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster_tests.config.samples import write_config

CONFIG = """\
home: {home}
notify:
  email: {{host: {smtp_host}, port: 25, sender: pvt@example.org, security: none{smtp_extra}}}
clients:
  acme:
    sources:
      drop:
        kind: ftp
        host: {ftp_host}
        password: {{env: PVT_TEST_FTP_PW}}
        path: /out
        after_transfer: keep{ftp_extra}
    feeds:
      members:
        source: drop
        pattern: "*.csv"
        decrypt: none
        deliver: [{{kind: daily_csv, dir: out}}]
"""


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_FTP_PW", "pw")


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], *, ftp_host: str = "127.0.0.1",
          smtp_host: str = "localhost", ftp_extra: str = "", smtp_extra: str = ""
          ) -> tuple[int, str]:
    """``pvt config check`` on the config: exit status and everything printed."""
    path = write_config(tmp_path, CONFIG.format(
        home=tmp_path / "home", ftp_host=ftp_host, smtp_host=smtp_host,
        ftp_extra=ftp_extra, smtp_extra=smtp_extra))
    status = main(["--config", str(path), "config", "check"])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_loopback_hosts_need_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = check(tmp_path, capsys)
    assert status == 0, out
    assert "allow_insecure" not in out and "in clear" not in out


def test_plain_ftp_to_another_host_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = check(tmp_path, capsys, ftp_host="ftp.acme.example")
    assert status == 1
    assert "kind: ftp sends the password and the files in clear" in out
    assert "'ftp.acme.example': use kind: ftps, or set allow_insecure: true" in out
    assert "pvt.yaml:" in out  # names the file (and line)


def test_plain_smtp_to_another_host_is_a_config_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = check(tmp_path, capsys, smtp_host="smtp.example.org")
    assert status == 1
    assert "security: none sends messages (and any password) in clear" in out
    assert "'smtp.example.org': use starttls or ssl, or set allow_insecure: true" in out


def test_allow_insecure_is_accepted_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = check(tmp_path, capsys, ftp_host="ftp.acme.example",
                        smtp_host="smtp.example.org",
                        ftp_extra="\n        allow_insecure: true",
                        smtp_extra=", allow_insecure: true")
    assert status == 0, out
    assert out.count("allow_insecure: true: passwords and data cross the network in clear") == 2
    assert "clients.acme.sources.drop.allow_insecure" in out
    assert "notify.email.allow_insecure" in out
