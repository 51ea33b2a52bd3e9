"""``check_config``: load errors and semantic checks (kinds, secrets, rules, feeds) with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.cli.config_check import builtin_names, check_config
from pvt_dagster.config import ConfigReport
from pvt_dagster.decrypt import Keystore, generate_key
from pvt_dagster.errors import ConfigNotFoundError
from pvt_dagster_tests.config.samples import EXAMPLE, MINIMAL, write_config


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_SF_TOKEN", "token-value")
    monkeypatch.setenv("ACME_KEY_PASSPHRASE", "passphrase-value")
    monkeypatch.delenv("PVT_HOME", raising=False)


def found(issues: list) -> list[tuple[int | None, str, str]]:
    """Issues as (line, key, message) for comparison."""
    return [(i.line, i.key, i.message) for i in issues]


def test_full_example_is_ok(tmp_path: Path) -> None:
    path = write_config(tmp_path, EXAMPLE)
    keystore = Keystore(tmp_path / ".pvt" / "keystore")  # the feed's key must be there
    try:
        generate_key(keystore, name="Members", email="members@acme.example", passphrase=None,
                     algorithm="ed25519")
        report = check_config(path)
    finally:
        keystore.stop_agent()
    assert report.ok, report.errors
    assert report.errors == [] and report.warnings == []
    assert report.config is not None and report.config.path == path
    assert report.path == path


def test_unresolvable_secrets_are_errors_without_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PVT_SF_TOKEN")
    text = EXAMPLE.replace("password: null", "password: {file: secrets/smtp}")
    report = check_config(write_config(tmp_path, text))
    assert not report.ok
    assert found(report.errors) == [
        (8, "notify.email.password.file", f"file {tmp_path / 'secrets' / 'smtp'} does not exist"),
        (9, "notify.salesforce.session_id.env", "environment variable PVT_SF_TOKEN is not set"),
        (32, "clients.acme.feeds.members.decrypt.key", "key members@acme.example is not in the "
         f"keystore: {tmp_path / '.pvt' / 'keystore'} does not exist (pvt keys import FILE)"),
    ]
    assert "passphrase-value" not in "".join(str(i) for i in report.errors)


def test_sftp_source_requires_known_hosts(tmp_path: Path) -> None:
    text = MINIMAL.replace("kind: local", "kind: sftp\n        host: h\n        username: u")
    report = check_config(write_config(tmp_path, text))
    assert found(report.errors) == [
        (4, "clients.acme.sources.dropbox.known_hosts", "field required: known_hosts"),
    ]


def test_table_and_s3_delivery_are_supported(tmp_path: Path) -> None:
    text = MINIMAL + ("          - {kind: table, table: members, url: \"sqlite:///w.db\"}\n"
                      "          - {kind: s3, bucket: pvt-out, prefix: intake}\n")
    report = check_config(write_config(tmp_path, text))
    assert found(report.errors) == []


COLUMNS = """\
        columns:
          ssn: {checks: [{rule: pattern, pattern: social}]}
          code: {checks: [{rule: pattern, regex: "([0-9]{3}"}, {rule: pattern, regex: "[A-Z]+"}]}
          state: {checks: [{rule: in_list, values: us_provinces}]}
          plan: {checks: [{rule: in_list, values: {file: lists/plans.txt}}]}
          tier: {checks: [{rule: in_list, values: [gold, silver], ignore_case: true}]}
"""


def test_rules_naming_unknown_builtins_bad_regex_and_missing_lists(tmp_path: Path) -> None:
    text = MINIMAL.replace("        decrypt: none\n", "        decrypt: none\n" + COLUMNS)
    report = check_config(write_config(tmp_path, text))
    key = "clients.acme.feeds.members.columns"
    assert found(report.errors) == [
        (14, f"{key}.ssn.checks[0].pattern",
         "unknown built-in pattern 'social' (known: date, email, ssn, us_phone, zip)"),
        (15, f"{key}.code.checks[0].regex",
         "regex does not compile: missing ), unterminated subpattern at position 0"),
        (16, f"{key}.state.checks[0].values",
         "unknown built-in list 'us_provinces' (known: us_states, us_states_and_territories)"),
        (17, f"{key}.plan.checks[0].values.file",
         f"list file {tmp_path / 'lists' / 'plans.txt'} does not exist"),
    ]

    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "plans.txt").write_text("basic\n", encoding="utf-8")
    report = check_config(write_config(tmp_path, text))
    assert len(report.errors) == 3


def test_builtin_names_come_from_the_catalogue() -> None:
    patterns, lists = builtin_names()
    assert {"ssn", "us_phone", "zip", "email", "date"} <= patterns
    assert {"us_states", "us_states_and_territories"} <= lists


def test_second_feed_with_same_source_and_pattern_can_never_match(tmp_path: Path) -> None:
    text = MINIMAL + """\
      members_again:
        source: dropbox
        pattern: "members_*.csv"
        decrypt: none
"""
    report = check_config(write_config(tmp_path, text))
    assert found(report.errors) == [
        (17, "clients.acme.feeds.members_again.pattern",
         "feed members has the same source and pattern and comes first, "
         "so this feed can never match a file"),
    ]
    assert found(report.warnings) == [
        (15, "clients.acme.feeds.members_again",
         "no deliver targets: its files are checked and scrubbed but delivered nowhere"),
    ]
    assert report.ok is False


def test_warnings_alone_keep_the_report_ok(tmp_path: Path) -> None:
    text = MINIMAL.replace("        deliver:\n          - {kind: daily_csv, dir: out}\n", "")
    spare = "      spare: {kind: local, path: spare, after_transfer: keep}\n"
    text = text.replace("    feeds:", spare + "    feeds:")
    report = check_config(write_config(tmp_path, text))
    assert report.ok
    assert found(report.warnings) == [
        (8, "clients.acme.sources.spare",
         "no feed uses this source: every file in it will be unmatched"),
        (10, "clients.acme.feeds.members",
         "no deliver targets: its files are checked and scrubbed but delivered nowhere"),
    ]


def test_object_storage_with_a_sqlite_ledger_is_a_warning(tmp_path: Path) -> None:
    storage = "storage: {url: s3://pvt-bucket/prod, region: eu-west-1}\n"
    report = check_config(write_config(tmp_path, storage + MINIMAL))
    assert report.ok
    assert found(report.warnings) == [
        (1, "storage", "the vault and stage outputs are in object storage but the ledger is "
         "SQLite in the home: runs on other machines cannot share it; set ledger.url to "
         "PostgreSQL")]
    pg = "ledger: {url: postgresql+psycopg://pvt@db.example/pvt}\n"
    assert check_config(write_config(tmp_path, storage + pg + MINIMAL)).warnings == []
    bad = check_config(write_config(tmp_path, "storage: {url: 'http://x/y'}\n" + MINIMAL))
    assert [i.key for i in bad.errors] == ["storage.url"]


def test_unknown_time_zone_and_encoding(tmp_path: Path) -> None:
    text = MINIMAL.replace("decrypt: none", "decrypt: none\n        format: {encoding: klingon}")
    report = check_config(write_config(tmp_path, "timezone: Mars/Olympus\n" + text))
    assert found(report.errors) == [
        (1, "timezone", "unknown time zone 'Mars/Olympus'"),
        (14, "clients.acme.feeds.members.format.encoding", "unknown encoding 'klingon'"),
    ]


def test_load_errors_become_report_errors(tmp_path: Path) -> None:
    report = check_config(write_config(tmp_path, MINIMAL.replace("pattern:", "patern:")))
    assert not report.ok and report.config is None
    assert found(report.errors) == [
        (11, "clients.acme.feeds.members.patern", "unknown key 'patern' (did you mean 'pattern'?)"),
    ]


def test_missing_config_is_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFoundError):
        check_config(tmp_path / "absent.yaml")


def test_later_checks_can_attach_lines(tmp_path: Path) -> None:
    report = check_config(write_config(tmp_path, MINIMAL))
    assert isinstance(report, ConfigReport) and report.ok
    report.error(("clients", "acme", "feeds", "members", "decrypt"), "no such key in keystore")
    (issue,) = report.errors
    assert (issue.line, issue.key) == (12, "clients.acme.feeds.members.decrypt")
    assert not report.ok
