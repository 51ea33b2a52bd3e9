"""The fault campaign, small: about fifty files through real sftp, ftp, s3 and local sources and
real runs under ``dagster dev`` while servers and run workers are killed, SMTP and Salesforce
refuse or hang, and files are renamed and rewritten while they settle. No file is lost, no row
or message is doubled or lost, nothing delivered is left at a source. ``make bench
NAMES=faults`` runs the same campaign with 1,000 files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster_tests.support.campaign import run_campaign
from pvt_dagster_tests.support.servers.moto_s3 import moto_server_path
from pvt_dagster_tests.support.servers.sshd import missing_reason

FILES = 48


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_no_file_row_or_message_is_lost_or_doubled_under_faults(tmp_path: Path) -> None:
    reason = missing_reason() or (None if moto_server_path() else "moto_server is missing")
    if reason:
        pytest.skip(reason)
    outcome = run_campaign(FILES, drop_seconds=50, chaos_seconds=80, settle_timeout=600,
                           root=tmp_path, progress=lambda line: None)
    report = "\n".join(outcome.lines())
    fig = outcome.figures
    assert outcome.settled, report
    assert not [k for k in outcome.faults if k.startswith("chaos_error")], report
    assert fig.problems() == [], report
    assert fig.dropped == FILES
    assert fig.delivered_once >= FILES * 0.8 and fig.failed_with_error >= FILES // 10, report
    for fault in ("server_kill_sftp", "server_kill_ftp", "server_kill_s3", "worker_kill",
                  "smtp_refuse", "smtp_hang", "sf_refuse", "sf_hang", "rename", "rewrite"):
        assert outcome.faults[fault] >= 1, f"{fault} never happened\n{report}"
    assert fig.emails_sent > 0 and fig.cases_sent > 0, report
