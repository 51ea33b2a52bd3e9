"""Shared fixtures for tests that run files through the whole intake: a real GnuPG keystore
with a feed key (and a second key we do not hold), and a PVT home with a local drop folder."""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pvt_dagster.decrypt import Keystore, encrypt_file, export_public_key, generate_key
from pvt_dagster.pipeline import Intake

FEED_KEY = "feed@test.example"
OTHER_KEY = "other@test.example"
PASSPHRASE = "correct horse battery"
PASSPHRASE_ENV = "PVT_TEST_FEED_PASSPHRASE"
COLUMNS = ["member_id", "ssn", "phone", "state"]
GOOD_ROWS = [["7", "123-45-6789", "(555) 123-4567", "CA"],
             ["8", "234-56-7890", "555-234-5678", "ny"],
             ["9", "345-67-8901", "5553456789", "TX"]]

CONFIG = """\
home: {home}
keystore: {{gnupghome: {gnupghome}}}
clients:
  acme:
    sources:
      drop:
        kind: local
        path: inbox
        after_transfer: {after_transfer}
    polling: {{interval_seconds: 1, quiesce_seconds: 0}}
    feeds:
      members:
        source: drop
        pattern: "members_*.csv.pgp"
        decrypt: {{key: {feed_key}, passphrase: {{env: {passphrase_env}}}}}
        columns:
          member_id: {{pii: false, scrub: [{{pad_left: {{width: 6, fill: "0"}}}}]}}
          ssn:
            required: true
            checks: [{{rule: pattern, pattern: ssn, severity: failure}}]
            scrub: [strip_hyphens]
          phone:
            checks: [{{rule: pattern, pattern: us_phone, severity: warning}}]
            scrub: [digits_only]
          state:
            checks: [{{rule: in_list, values: us_states, severity: warning}}]
            scrub: [trim, upper]
        deliver:
          - {{kind: daily_csv, dir: out}}
      plain:
        source: drop
        pattern: "plain_*.csv"
        decrypt: none
        columns:
          ssn: {{required: true}}
        deliver:
          - {{kind: daily_csv, dir: out}}
"""


@dataclass
class GpgKeys:
    """A keystore holding the feed's secret key, and the public half of a key we do not hold."""

    keystore: Keystore
    other: Keystore


def csv_bytes(rows: list[list[str]], columns: list[str] | None = None) -> bytes:
    """Rows as CSV bytes with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns or COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@dataclass
class IntakeEnv:
    """A PVT home, a config and a drop folder, with helpers to drop files."""

    root: Path
    config_path: Path
    keys: GpgKeys

    @property
    def inbox(self) -> Path:
        """The local source's folder."""
        return self.root / "inbox"

    @property
    def out(self) -> Path:
        """Where daily CSVs go."""
        return self.root / "out"

    def intake(self) -> Intake:
        """A fresh Intake over this config."""
        return Intake.from_path(self.config_path)

    def drop_plain(self, name: str, data: bytes) -> Path:
        """Drop a file as is."""
        path = self.inbox / name
        path.write_bytes(data)
        return path

    def drop_encrypted(self, name: str, data: bytes, *, to_other_key: bool = False) -> Path:
        """Encrypt ``data`` to the feed key (or a key we do not hold) and drop it."""
        with tempfile.TemporaryDirectory(dir=self.root) as tmp:
            plain = Path(tmp) / "plain"
            plain.write_bytes(data)
            target = self.inbox / name
            if to_other_key:
                encrypt_file(self.keys.other, plain, target, recipient=OTHER_KEY)
            else:
                encrypt_file(self.keys.keystore, plain, target, recipient=FEED_KEY)
        return target


@pytest.fixture(scope="session")
def gpg_keys() -> Iterator[GpgKeys]:
    """Two short-path GnuPG homes: ours with the feed key pair, another with a foreign key."""
    ours = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    theirs = Path(tempfile.mkdtemp(prefix="po", dir="/tmp"))
    keystore, other = Keystore(ours), Keystore(theirs)
    generate_key(keystore, name="Feed", email=FEED_KEY, passphrase=PASSPHRASE, algorithm="ed25519")
    generate_key(other, name="Other", email=OTHER_KEY, passphrase=None, algorithm="ed25519")
    other.import_key_data(export_public_key(keystore, FEED_KEY))
    yield GpgKeys(keystore, other)
    for store, home in ((keystore, ours), (other, theirs)):
        store.stop_agent()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def intake_env(tmp_path: Path, gpg_keys: GpgKeys, monkeypatch: pytest.MonkeyPatch) -> IntakeEnv:
    """A config over a fresh home and drop folder, using the session keystore."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    (tmp_path / "dagster").mkdir()  # the instance `pvt replay` and `pvt ingest` run in
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "inbox").mkdir()
    config_path = tmp_path / "pvt.yaml"
    config_path.write_text(CONFIG.format(
        home=tmp_path / "home", gnupghome=gpg_keys.keystore.gnupghome,
        after_transfer="archive:../archive", feed_key=FEED_KEY, passphrase_env=PASSPHRASE_ENV))
    os.chmod(config_path, 0o600)
    return IntakeEnv(tmp_path, config_path, gpg_keys)
