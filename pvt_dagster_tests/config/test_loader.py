"""Loading valid configs: where the file is found, ${NAME} expansion, absolute paths, sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.config import (
    DailyCsvTarget,
    LocalSource,
    find_config_path,
    lines_for,
    load_config,
    parse_size,
)
from pvt_dagster.config.models import (
    Archive,
    Delete,
    ImapSource,
    Keep,
    Seen,
    SftpSource,
    parse_after_transfer,
)
from pvt_dagster.errors import ConfigNotFoundError
from pvt_dagster_tests.config.samples import EXAMPLE, MINIMAL, write_config


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PVT_CONFIG", "PVT_HOME", "PVT_TEST_DIR", "PVT_TEST_EMPTY"):
        monkeypatch.delenv(name, raising=False)


def test_full_example_loads_with_paths_resolved(tmp_path: Path) -> None:
    path = write_config(tmp_path, EXAMPLE)
    config = load_config(path)
    assert config.path == path
    assert config.home == tmp_path / ".pvt"
    assert config.gnupghome == tmp_path / ".pvt" / "keystore"
    assert config.ledger_url == f"sqlite:///{tmp_path / '.pvt' / 'ledger.db'}"
    feed = config.feed("acme", "members")
    assert feed.qualified_name == "acme/members"
    source = config.clients["acme"].sources["dropbox"]
    assert isinstance(source, LocalSource)
    assert source.path == str(tmp_path / "drop" / "acme")
    # archive:PATH is relative to the source's folder, as for every source kind.
    assert source.after_transfer == Archive(str(tmp_path / "drop" / "acme" / "done" / "acme"))
    assert str(source.after_transfer) == f"archive:{tmp_path / 'drop' / 'acme' / 'done' / 'acme'}"
    (target,) = feed.config.deliver
    assert isinstance(target, DailyCsvTarget)
    assert target.dir == tmp_path / "out" / "acme"
    assert feed.constraints.max_bytes == 500_000_000
    assert feed.constraints.max_files_per_poll == 50
    assert config.clients["acme"].constraints.max_bytes == 2_000_000_000
    assert [s.action for s in feed.config.columns["member_id"].scrub] == ["pad_left"]
    assert config.notify.routes[0].send == ["email:ops@example.org", "salesforce"]
    # Secret references are kept as references, not resolved at load.
    assert config.notify.salesforce is not None
    assert config.notify.salesforce.session_id is not None
    assert config.notify.salesforce.session_id.env == "PVT_SF_TOKEN"


def test_home_from_environment_overrides_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PVT_HOME", str(tmp_path / "elsewhere"))
    config = load_config(write_config(tmp_path, EXAMPLE))
    assert config.home == tmp_path / "elsewhere"


def test_env_expansion_default_set_empty_and_escape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = MINIMAL.replace("path: inbox", "path: ${PVT_TEST_DIR:-dflt}/in")
    text = text.replace('"members_*.csv"', '"$${literal}_${PVT_TEST_EMPTY:-x}.csv"')
    config = load_config(write_config(tmp_path, text))
    assert config.clients["acme"].sources["dropbox"].path == str(tmp_path / "dflt" / "in")
    assert config.clients["acme"].feeds["members"].pattern == "${literal}_x.csv"

    monkeypatch.setenv("PVT_TEST_DIR", "/srv/drop")
    monkeypatch.setenv("PVT_TEST_EMPTY", "")  # set but empty: the default applies, as in sh
    config = load_config(write_config(tmp_path, text))
    assert config.clients["acme"].sources["dropbox"].path == "/srv/drop/in"
    assert config.clients["acme"].feeds["members"].pattern == "${literal}_x.csv"


def test_relative_paths_of_secret_files_lists_and_certificates(tmp_path: Path) -> None:
    text = """\
        keystore: {gnupghome: ~/gpg}
        notify:
          salesforce: {instance_url: https://x.example, session_id: {file: secrets/sf},
                       ca_bundle: certs/ca.pem}
        clients:
          acme:
            sources:
              remote:
                kind: sftp
                host: sftp.example
                username: pvt
                private_key: {file: keys/id_ed25519}
                known_hosts: keys/known_hosts
                path: outbound
                after_transfer: archive:done
            feeds:
              members:
                source: remote
                pattern: "*.csv"
                decrypt: none
                columns:
                  plan: {checks: [{rule: in_list, values: {file: lists/plans.txt}}]}
                deliver: [{kind: daily_csv, dir: /abs/out}]
        """
    config = load_config(write_config(tmp_path, text))
    assert config.keystore.gnupghome == Path.home() / "gpg"
    sf = config.notify.salesforce
    assert sf is not None and sf.session_id is not None
    assert sf.session_id.file == tmp_path / "secrets" / "sf"
    assert sf.ca_bundle == tmp_path / "certs" / "ca.pem"
    source = config.clients["acme"].sources["remote"]
    assert isinstance(source, SftpSource) and source.private_key is not None
    assert source.private_key.file == tmp_path / "keys" / "id_ed25519"
    assert source.known_hosts == tmp_path / "keys" / "known_hosts"
    # A remote path and archive folder are on the server: left as written.
    assert source.path == "outbound"
    assert source.after_transfer == Archive("done")
    feed = config.clients["acme"].feeds["members"]
    values = feed.columns["plan"].checks[0].values
    assert not isinstance(values, (str, list)) and values is not None
    assert values.file == tmp_path / "lists" / "plans.txt"
    assert feed.deliver[0].dir == Path("/abs/out")  # type: ignore[union-attr]


@pytest.mark.parametrize(("written", "folder"), [("archive:done", "inbox/done"),
                                                 ("archive:../done", "done"),
                                                 ("archive:./a/../b", "inbox/b")])
def test_a_local_archive_folder_is_relative_to_the_source_folder(
        tmp_path: Path, written: str, folder: str) -> None:
    """``archive:PATH`` is under the source's folder unless absolute, as for remote kinds."""
    text = MINIMAL.replace("after_transfer: delete", f"after_transfer: {written}")
    source = load_config(write_config(tmp_path, text)).clients["acme"].sources["dropbox"]
    assert source.after_transfer == Archive(str(tmp_path / folder))
    absolute = MINIMAL.replace("after_transfer: delete", "after_transfer: archive:/srv/done")
    source = load_config(write_config(tmp_path, absolute)).clients["acme"].sources["dropbox"]
    assert source.after_transfer == Archive("/srv/done")


def test_after_transfer_is_parsed_once_into_a_typed_policy() -> None:
    """Each policy reads back as the text it was written as (ledger event names use it)."""
    assert parse_after_transfer("delete") == Delete()
    assert parse_after_transfer("keep") == Keep()
    assert parse_after_transfer("seen") == Seen()
    assert parse_after_transfer("archive:a/b") == Archive("a/b")
    for text in ("delete", "keep", "seen", "archive:a/b", "archive:/x y"):
        assert str(parse_after_transfer(text)) == parse_after_transfer(text).describe() == text
    for bad in ("archive:", "shred", "", None, 3):
        with pytest.raises(ValueError, match="after_transfer is"):
            parse_after_transfer(bad)
    imap = ImapSource.model_validate({"kind": "imap", "host": "h", "username": "u",
                                      "password": {"env": "X"}, "after_transfer": "seen",
                                      "require_signature": False})
    assert imap.after_transfer == Seen() and imap.model_dump()["after_transfer"] == "seen"


def test_find_config_path_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cwd_config = write_config(tmp_path, MINIMAL)
    env_config = write_config(tmp_path, MINIMAL, name="from_env.yaml")
    explicit = write_config(tmp_path, MINIMAL, name="explicit.yaml")
    monkeypatch.chdir(tmp_path)
    assert find_config_path() == cwd_config
    monkeypatch.setenv("PVT_CONFIG", str(env_config))
    assert find_config_path() == env_config
    assert find_config_path(explicit) == explicit
    assert find_config_path(str(explicit)) == explicit


def test_not_found_lists_every_place_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PVT_CONFIG", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigNotFoundError) as info:
        find_config_path()
    message = str(info.value)
    assert f"$PVT_CONFIG={tmp_path / 'missing.yaml'}" in message
    assert str(tmp_path / "pvt.yaml") in message

    with pytest.raises(ConfigNotFoundError, match=r"--config .*nope\.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_sizes_in_decimal_and_binary_units(tmp_path: Path) -> None:
    assert parse_size("500MB") == 500_000_000
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("512KiB") == 512 * 1024
    assert parse_size("1.5 kb") == 1500
    assert parse_size(42) == 42
    with pytest.raises(ValueError, match="not a size"):
        parse_size("5 parsecs")
    limits = "    constraints: {max_bytes: 2GiB, min_bytes: 1KB}\n"
    text = MINIMAL.replace("  acme:\n", "  acme:\n" + limits)
    client = load_config(write_config(tmp_path, text)).clients["acme"]
    assert client.constraints.max_bytes == 2 * 1024**3
    assert client.constraints.min_bytes == 1000


def test_lines_for_maps_key_paths_to_lines(tmp_path: Path) -> None:
    lines = lines_for(write_config(tmp_path, MINIMAL))
    assert lines.line(("clients", "acme", "sources", "dropbox")) == 4
    assert lines.line(("clients", "acme", "feeds", "members", "pattern")) == 11
    assert lines.line(("clients", "acme", "feeds", "members", "deliver", 0, "dir")) == 14
    # A key that is not in the file: the line of its nearest ancestor.
    assert lines.line(("clients", "acme", "feeds", "members", "columns", "ssn")) == 9
