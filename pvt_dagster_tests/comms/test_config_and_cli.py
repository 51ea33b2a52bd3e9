"""``pvt config check`` on ``notify`` (unknown channels, bad addresses, a channel without its
block, Salesforce without a way in; each with its line) and ``pvt messages`` (table, --pending,
--json with every channel's status, and ``send``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.cli.config_check import check_config
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.config.samples import MINIMAL
from pvt_dagster_tests.support.servers.smtp import SmtpServer

NOTIFY = """\
notify:
  email: {host: 127.0.0.1, port: PORT, sender: pvt@example.org}
  routes:
    - match: {severity: failure, client: nobody}
      send: [email:ops@example.org, sms:123, digest:not-an-address, salesforce]
    - send: [log]
"""


def test_config_check_reports_route_problems_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "pvt.yaml"
    path.write_text(NOTIFY.replace("PORT", "2525") + MINIMAL)
    report = check_config(path)
    errors = {(e.line, e.key): e.message for e in report.errors}
    assert "unknown channel 'sms:123'" in errors[(5, "notify.routes[0].send[1]")]
    assert "not an email address" in errors[(5, "notify.routes[0].send[2]")]
    assert "needs a notify.salesforce block" in errors[(5, "notify.routes[0].send[3]")]
    assert len(report.errors) == 3
    assert [(w.line, w.key) for w in report.warnings] == [(4, "notify.routes[0].match.client")]


def test_config_check_wants_a_way_into_salesforce(tmp_path: Path) -> None:
    path = tmp_path / "pvt.yaml"
    path.write_text("notify:\n  salesforce: {instance_url: 'https://x.example'}\n" + MINIMAL)
    (error,) = check_config(path).errors
    assert (error.line, error.key) == (2, "notify.salesforce")
    assert "session_id, or token_url" in error.message


def test_pvt_messages_lists_and_sends(tmp_path: Path, smtp_server: SmtpServer,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    smtp_server.start()
    path = tmp_path / "pvt.yaml"
    path.write_text(f"home: {tmp_path / 'home'}\n"
                    + NOTIFY.replace("PORT", str(smtp_server.port))
                    .replace("sms:123, digest:not-an-address, salesforce", "log")
                    .replace(", client: nobody", "") + MINIMAL)
    intake = Intake.from_path(path)
    intake.ledger.record_message(
        dedupe_key="x", client="acme", feed="members", file_key=None, stage="discovery",
        kind="source_unavailable", severity="failure", text="source acme/dropbox is down")
    intake.close()
    args = ["--config", str(path), "messages"]
    assert main([*args, "--pending", "--json"]) == 0
    (pending,) = json.loads(capsys.readouterr().out)
    assert (pending["status"], pending["channels"]) == ("pending", [])
    assert main([*args, "send"]) == 0
    assert "sent 2" in capsys.readouterr().out
    assert main([*args, "--pending"]) == 0
    assert "0 message(s)" in capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    channels = {c["channel"]: c for c in shown["channels"]}
    assert set(channels) == {"email:ops@example.org", "log"}
    assert channels["email:ops@example.org"]["external_id"] == \
        smtp_server.received[0]["Message-ID"]
    assert main(args) == 0
    assert "email:ops@example.org=sent" in capsys.readouterr().out
