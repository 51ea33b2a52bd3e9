"""Load errors: each names the file, the 1-based line and the dotted key, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.config import load_config
from pvt_dagster.errors import ConfigError, ConfigIssue
from pvt_dagster_tests.config.samples import MINIMAL, write_config


def issues_of(path: Path) -> list[ConfigIssue]:
    """The issues of loading ``path``, which must fail."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.__cause__ is None  # pydantic's own text (with input values) is not chained
    return info.value.issues


def only_issue(path: Path) -> ConfigIssue:
    """The single issue of loading ``path``."""
    issues = issues_of(path)
    assert len(issues) == 1, issues
    return issues[0]


def test_bad_indentation_gives_its_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("        after_transfer: delete", "       after_transfer: delete")
    path = write_config(tmp_path, text)
    issue = only_issue(path)
    assert issue.file == str(path)
    assert issue.line == 7
    assert "indentation" in issue.message
    assert issue.key == "clients.acme.sources.dropbox.after_transfer"


def test_over_indented_key_gives_its_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("        pattern:", "          pattern:")
    issue = only_issue(write_config(tmp_path, text))
    assert issue.line == 11
    assert "bad indentation" in issue.message


def test_tab_indentation(tmp_path: Path) -> None:
    issue = only_issue(write_config(tmp_path, "clients:\n\tacme: {}\n"))
    assert issue.line == 2
    assert "tab" in issue.message


def test_unknown_key_names_file_line_and_key_path(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL.replace("pattern:", "patern:"))
    issue = only_issue(path)
    assert issue == ConfigIssue(
        file=str(path), line=11, key="clients.acme.feeds.members.patern",
        message="unknown key 'patern' (did you mean 'pattern'?)",
    )
    assert str(issue) == (
        f"{path}:11: clients.acme.feeds.members.patern: "
        "unknown key 'patern' (did you mean 'pattern'?)"
    )


def test_missing_required_key_points_at_parent(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL.replace("        after_transfer: delete\n", ""))
    issue = only_issue(path)
    assert issue.line == 4  # the line of ``dropbox:``
    assert issue.key == "clients.acme.sources.dropbox.after_transfer"
    assert issue.message == "field required: after_transfer"
    assert "local" not in issue.key.split(".")  # the discriminator tag is not in the key


def test_missing_env_var_names_variable_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PVT_TEST_NOPE", raising=False)
    path = write_config(tmp_path, MINIMAL.replace("path: inbox", "path: ${PVT_TEST_NOPE}/in"))
    issue = only_issue(path)
    assert (issue.file, issue.line) == (str(path), 6)
    assert issue.key == "clients.acme.sources.dropbox.path"
    assert "environment variable PVT_TEST_NOPE is not set" in issue.message


def test_malformed_reference(tmp_path: Path) -> None:
    issue = only_issue(write_config(tmp_path, MINIMAL.replace("path: inbox", "path: ${1x}")))
    assert issue.line == 6
    assert "not a variable reference" in issue.message


def test_client_name_must_be_an_identifier(tmp_path: Path) -> None:
    issue = only_issue(write_config(tmp_path, MINIMAL.replace("  acme:", "  Acme-Corp:")))
    assert (issue.line, issue.key) == (2, "clients.Acme-Corp")
    assert "'Acme-Corp' is not a valid name" in issue.message


def test_feed_referencing_undeclared_source(tmp_path: Path) -> None:
    issue = only_issue(write_config(tmp_path, MINIMAL.replace("source: dropbox", "source: drop")))
    assert (issue.line, issue.key) == (10, "clients.acme.feeds.members.source")
    assert issue.message == "source 'drop' is not declared in this client"


def test_several_errors_are_reported_at_once(tmp_path: Path) -> None:
    text = (MINIMAL.replace("kind: local", "kind: local\n        recursive: maybe")
            .replace("pattern:", "patern:")
            .replace("decrypt: none", "decrypt: nothing")
            .replace("{kind: daily_csv, dir: out}", "{kind: daily_csv}")
            + "timezone: [UTC]\nhome: ${PVT_TEST_NOPE}\n")
    path = write_config(tmp_path, text)
    found = [(i.line, i.key, i.message) for i in issues_of(path)]
    assert found == [
        (6, "clients.acme.sources.dropbox.recursive", "must be a valid boolean"),
        (12, "clients.acme.feeds.members.patern", "unknown key 'patern' (did you mean 'pattern'?)"),
        (13, "clients.acme.feeds.members.decrypt", "must be a mapping or 'none'"),
        (15, "clients.acme.feeds.members.deliver[0].dir", "field required: dir"),
        (16, "timezone", "must be a valid string"),
        (17, "home", "environment variable PVT_TEST_NOPE is not set (or write "
                     "${PVT_TEST_NOPE:-default})"),
    ]


def test_union_errors_keep_the_member_the_value_was_meant_for(tmp_path: Path) -> None:
    text = MINIMAL.replace("decrypt: none", "decrypt: {key: k, pasphrase: {env: X}}")
    issue = only_issue(write_config(tmp_path, text))
    assert issue.key == "clients.acme.feeds.members.decrypt.pasphrase"
    assert issue.message == "unknown key 'pasphrase' (did you mean 'passphrase'?)"


def test_unknown_source_kind(tmp_path: Path) -> None:
    issue = only_issue(write_config(tmp_path, MINIMAL.replace("kind: local", "kind: dropbox")))
    assert (issue.line, issue.key) == (5, "clients.acme.sources.dropbox.kind")
    assert issue.message.startswith("unknown kind 'dropbox' (expected one of: local, sftp")


def test_secret_values_are_never_echoed(tmp_path: Path) -> None:
    text = "notify:\n  email: {host: mail, password: hunter2-secret}\n"
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "hunter2" not in str(info.value)
    (issue,) = info.value.issues
    assert (issue.line, issue.key) == (2, "notify.email.password")
    assert issue.message.startswith("must be {env: NAME} or {file: PATH}")


def test_bad_values_inside_scrub_options(tmp_path: Path) -> None:
    text = MINIMAL.replace("decrypt: none", "decrypt: none\n        columns:\n"
                           "          id: {scrub: [trim, {pad_left: {width: 0}}, shout]}")
    issues = issues_of(write_config(tmp_path, text))
    assert [(i.line, i.key) for i in issues] == [
        (14, "clients.acme.feeds.members.columns.id.scrub[1].pad_left.width"),
        (14, "clients.acme.feeds.members.columns.id.scrub[2]"),
    ]
    assert issues[0].message == "must be greater than or equal to 1"
    assert issues[1].message.startswith("unknown scrub action 'shout'")


def test_duplicate_key(tmp_path: Path) -> None:
    line = "        decrypt: none\n"
    text = MINIMAL.replace(line, line * 2)
    issue = only_issue(write_config(tmp_path, text))
    assert (issue.line, issue.key) == (13, "clients.acme.feeds.members.decrypt")
    assert issue.message == "duplicate key 'decrypt'"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, "the file is empty"),
        ("# only a comment\n", 1, "the file is empty"),
        ("- a\n- b\n", 1, "the top level is a list"),
        ("just text\n", 1, "the top level is a single value"),
    ],
)
def test_empty_or_not_a_mapping(tmp_path: Path, text: str, line: int, words: str) -> None:
    issue = only_issue(write_config(tmp_path, text))
    assert issue.line == line
    assert words in issue.message
