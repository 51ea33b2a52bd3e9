"""``pvt demo``: writes config, keys and three files once (idempotent), and those files end as
the README promises: clean and warnings delivered, failing stopped at validated. The demo's
notify block passes ``pvt config check``; with the demo's own mail catcher and Salesforce
stand-in started in process, the failing file gives one email and one Case and the warnings file
one digest, on disk and without PII; a taken port is refused clearly; a file sent with the
README's ``pvt upload`` line to the demo's upload API is delivered; ``pvt demo run`` starts the
stand-ins, the upload API and ``dagster dev`` and leaves no process behind on SIGTERM."""

from __future__ import annotations

import csv
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests

from pvt_dagster.cli import main
from pvt_dagster.comms import Dispatcher
from pvt_dagster.config import load_config
from pvt_dagster.decrypt import Keystore
from pvt_dagster.definitions import build_definitions
from pvt_dagster.demo import COLUMNS, member_rows
from pvt_dagster.demo.launcher import demo_env, stop_process
from pvt_dagster.demo.services import SF_PORT_ENV, SMTP_PORT_ENV, DemoServices
from pvt_dagster.demo.upload_api import PUSH_PORT_ENV, start_upload_api, upload_example
from pvt_dagster.errors import DemoError
from pvt_dagster.ledger.timeutil import utcnow
from pvt_dagster.masking import has_pii
from pvt_dagster.pipeline import Intake
from pvt_dagster.sla import check_arrivals
from pvt_dagster_tests.support.flow import poll, run_file
from pvt_dagster_tests.support.jobs_flow import run_all_jobs
from pvt_dagster_tests.support.servers.common import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A demo written by ``pvt demo`` (its stand-ins on free ports); its gpg-agent is stopped
    afterwards."""
    monkeypatch.setenv(SMTP_PORT_ENV, str(free_port()))
    monkeypatch.setenv(SF_PORT_ENV, str(free_port()))
    monkeypatch.setenv(PUSH_PORT_ENV, str(free_port()))
    target = tmp_path / "demo"
    assert main(["demo", "--dir", str(target)]) == 0
    yield target
    Keystore(target / "home" / "keystore").stop_agent()


def test_demo_is_idempotent(demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = demo_dir / "home"  # gpg and the ledger touch their own files on every use
    before = {p: p.stat().st_mtime for p in demo_dir.rglob("*")
              if p.is_file() and not p.is_relative_to(home)}
    capsys.readouterr()
    assert main(["demo", "--dir", str(demo_dir)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert sorted(p.name for p in (demo_dir / "inbox").iterdir()) == [
        "members_2026-11-23_clean.csv.pgp", "members_2026-11-23_failing.csv.pgp",
        "members_2026-11-23_warnings.csv.pgp"]
    assert {p: p.stat().st_mtime for p in before} == before
    assert (demo_dir / "secrets" / "members.passphrase").stat().st_mode & 0o077 == 0


def _run_demo_files(intake: Intake) -> None:
    """Poll the demo's inbox until its three files are ready, then run every stage of each."""
    poll(intake, source_name="dropbox")
    ready = poll(intake, source_name="dropbox", seconds_later=5).ready
    assert len(ready) == 3
    for record in ready:
        run_file(intake, record.key)


def test_demo_files_end_as_promised(demo_dir: Path) -> None:
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    _run_demo_files(intake)
    files = {r.name.split("_")[2].split(".")[0]: r for r in intake.ledger.list_files()}
    counts = intake.ledger.check_counts(None)
    clean, warnings, failing = files["clean"], files["warnings"], files["failing"]
    assert (clean.status, warnings.status) == ("delivered", "delivered")
    assert (failing.status, failing.stage) == ("failed", "validated")
    assert counts[clean.key] == {"failure": 0, "warning": 0, "information": 0}
    assert counts[warnings.key]["failure"] == 0 and counts[warnings.key]["warning"] == 2
    assert counts[failing.key]["failure"] == 1
    daily = list((demo_dir / "out" / "acme").glob("members_*.csv"))
    assert len(daily) == 1 and len(daily[0].read_text().splitlines()) == 1 + 24 + 24
    intake.close()


def test_demo_job_chain_follows_the_members_feed(demo_dir: Path) -> None:
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    _run_demo_files(intake)
    defs = build_definitions(str(demo_dir / "pvt.yaml"))
    graph = defs.resolve_asset_graph()
    stamped = graph.get(dg.AssetKey(["acme", "members_stamped"]))
    assert {tuple(k.path) for k in stamped.parent_keys} == {
        ("acme", "members", "members_delivered")}
    with dg.instance_for_test() as instance:
        ran = run_all_jobs(defs, instance, intake, "acme")
    assert sorted({o.job for o in ran}) == ["acme/members_by_state", "acme/members_stamped"]
    assert all(o.success for o in ran)
    rows = {(r.job, r.status) for r in intake.ledger.job_outputs(client="acme")}
    assert rows == {("members_stamped", "success"), ("members_by_state", "success")}
    by_state = list((demo_dir / "out" / "acme" / "by_state").glob("*.csv"))
    assert sum(len(p.read_text().splitlines()) - 1 for p in by_state) == 24 + 24
    intake.close()


def test_demo_config_passes_config_check(demo_dir: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(demo_dir / "pvt.yaml"), "config", "check"]) == 0
    notify = load_config(demo_dir / "pvt.yaml").notify
    assert notify.email is not None and notify.email.port == int(os.environ[SMTP_PORT_ENV])
    assert notify.salesforce is not None and notify.salesforce.ca_bundle == \
        demo_dir / "tls" / "cert.pem"
    assert (notify.digest_minutes, notify.dispatch_seconds) == (1, 10)
    token = demo_dir / "secrets" / "salesforce.token"
    assert token.stat().st_mode & 0o077 == 0 and (demo_dir / "tls" / "key.pem").stat().st_mode \
        & 0o077 == 0


def test_failing_file_gives_one_email_and_one_case_warnings_one_digest(demo_dir: Path) -> None:
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    services = DemoServices.for_config(intake.config).start()
    try:
        _run_demo_files(intake)
        assert Dispatcher(intake.ledger, intake.config.notify).run_once().sent == 2
        later = Dispatcher(intake.ledger, intake.config.notify,
                           clock=lambda: utcnow() + timedelta(minutes=2))
        report = later.run_once()
        assert (report.digests, report.sent) == (1, 1)
        assert later.run_once().sent == 0
    finally:
        services.stop()
        intake.close()
    mails = {}
    for path in sorted((demo_dir / "mail").glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = mail.get_body(preferencelist=("plain",))
        mails[str(mail["Subject"])] = f"{mail['Subject']}\n{body.get_content() if body else ''}"
        assert mail["To"] == "ops@acme.example"
    assert len(mails) == 2
    (alert,) = [s for s in mails if "failing" in s and "digest" not in s]
    (digest,) = [s for s in mails if "[PVT digest]" in s]
    assert "warnings" in mails[digest] and "failing" not in mails[digest]
    assert "clean" not in mails[alert] + mails[digest]
    (case_file,) = (demo_dir / "salesforce").glob("Case-*.json")
    case = json.loads(case_file.read_text())
    assert "failing" in case["Subject"] and case["Status"] == "New"
    assert case["Origin"] == "PVT Intake demo"
    for text in [*mails.values(), case_file.read_text()]:
        assert not has_pii(text), "a demo email or Case holds an SSN or a phone number"


def test_a_taken_port_is_refused_clearly(demo_dir: Path) -> None:
    config = load_config(demo_dir / "pvt.yaml")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(os.environ[SF_PORT_ENV])))
        busy.listen()
        with pytest.raises(DemoError, match=f"{os.environ[SF_PORT_ENV]}.*{SF_PORT_ENV}"):
            DemoServices.for_config(config).start()
    services = DemoServices.for_config(config).start()  # the SMTP port was not left taken
    services.stop()


def test_a_file_uploaded_to_the_demo_is_delivered(demo_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    config = load_config(demo_dir / "pvt.yaml")
    line = upload_example(config)  # what `pvt demo run` prints and the README shows
    assert f"--url https://127.0.0.1:{os.environ[PUSH_PORT_ENV]}/v1/acme" in line
    assert f"--cacert {demo_dir / 'tls' / 'cert.pem'}" in line and "-u acme_uploader" in line
    roster = tmp_path / "roster_mine.csv"
    with roster.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(member_rows("clean", 10, seed=7))
    api = start_upload_api(config, demo_env(demo_dir, free_port()))
    try:
        wait_for_port(config.push.port, api, timeout=60)
        password = (demo_dir / "secrets" / "push_user.password").read_text().strip()
        base = ["upload", "--url", f"https://127.0.0.1:{config.push.port}/v1/acme",
                "--cacert", str(demo_dir / "tls" / "cert.pem")]
        assert main([*base, "-u", "acme_uploader", f"--password={password}", str(roster)]) == 0
        token = (demo_dir / "secrets" / "push.token").read_text().strip()
        assert main([*base, f"--token={token}", str(roster)]) == 1  # same name: still waiting
        assert "waiting to be taken in" in capsys.readouterr().err
    finally:
        stop_process(api)
    assert api.returncode == 0
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    try:
        ready = poll(intake, source_name="uploads").ready  # no waiting to settle
        assert [r.name for r in ready] == ["roster_mine.csv"]
        assert run_file(intake, ready[0].key) == "delivered"
    finally:
        intake.close()
    (daily,) = (demo_dir / "out" / "acme").glob("roster_*.csv")
    assert len(daily.read_text().splitlines()) == 1 + 10


def _session_members(sid: int) -> list[int]:
    """Pids of every live process in session ``sid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _agent_running(gnupghome: Path) -> bool:
    """Whether a gpg-agent of this home runs (its command line names the home)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(Path(w.decode(errors="replace")).name == "gpg-agent" for w in words[:1]) and \
                str(gnupghome).encode() in words:
            return True
    return False


@pytest.mark.slow
def test_demo_run_starts_everything_and_stops_it_all(demo_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "demo_run.log").open("wb")
    pvt = Path(sys.executable).parent / "pvt"
    process = subprocess.Popen(
        [str(pvt), "demo", "run", "--dir", str(demo_dir), "--port", str(port), "--workspace",
         str(REPO / "workspace.yaml")], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        for service_port in (os.environ[SMTP_PORT_ENV], os.environ[SF_PORT_ENV],
                             os.environ[PUSH_PORT_ENV]):
            wait_for_port(int(service_port), timeout=60)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "demo_run.log").read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info",
                                timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("dagster dev did not answer within 120 s")
        assert len(_session_members(process.pid)) > 2  # pvt, dagster dev and its children
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        deadline = time.monotonic() + 10
        while _session_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _session_members(process.pid) == []
        assert not _agent_running(demo_dir / "home" / "keystore")
        text = (tmp_path / "demo_run.log").read_text()
        assert f"{demo_dir / 'mail'}/*.eml" in text and "PVT demo: stopped" in text
        assert "pvt upload --url https://127.0.0.1:" in text
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        for pid in _session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
        log.close()


def test_demo_claims_feed_misses_its_sla_and_retention_previews(
        demo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    intake = Intake.from_path(demo_dir / "pvt.yaml")
    services = DemoServices.for_config(intake.config).start()
    try:
        _run_demo_files(intake)
        for _ in range(3):  # the pvt__sla sensor ticks: still one message
            done = check_arrivals(intake.ledger, intake.config, now=utcnow())
        assert {a.feed.name: a.state for a, _ in done} == {"claims": "missed"}
        Dispatcher(intake.ledger, intake.config.notify).run_once()
    finally:
        services.stop()
    subjects = [str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    ["Subject"]) for p in (demo_dir / "mail").glob("*.eml")]
    assert [s for s in subjects if "sla_missed" in s] == [
        "[PVT FAILURE] acme/claims -: sla_missed"]
    cases = [json.loads(p.read_text()) for p in (demo_dir / "salesforce").glob("Case-*.json")]
    assert sum("sla_missed" in c["Subject"] for c in cases) == 1
    capsys.readouterr()
    config = str(demo_dir / "pvt.yaml")
    assert main(["--config", config, "purge", "--dry-run", "--as-of", "2099-01-01"]) == 0
    out = capsys.readouterr().out
    assert out.count("would delete  vault") == 2  # clean and warnings; failing is kept
    assert "failed: awaiting a replay" in out
    assert all(p.exists() for p in (intake.config.home / "vault").rglob("*"))
    intake.close()
