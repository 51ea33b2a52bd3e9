"""Real gpg fixtures: short temporary GnuPG homes whose agents are stopped at teardown."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pvt_dagster.decrypt import Keystore, export_public_key, generate_key

PASSPHRASE = "s3cret pass"
OWNER = "members@acme.example"
PLAIN_OWNER = "plain@acme.example"
FOREIGN = "other@elsewhere.example"


@dataclass
class Keys:
    """The keystore under test and the fingerprints in it."""

    keystore: Keystore
    owner: str  # RSA 3072, protected by PASSPHRASE
    plain: str  # ed25519/cv25519, no passphrase
    foreign: str  # public key only: its secret stays in another keystore


def short_home() -> Path:
    """A short GnuPG home under /tmp (gpg-agent sockets need a short path)."""
    return Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))


@pytest.fixture(scope="session")
def keys() -> Iterator[Keys]:
    """A keystore with a protected key, an unprotected key and a foreign public key."""
    home, other_home = short_home(), short_home()
    keystore, other = Keystore(home), Keystore(other_home)
    try:
        owner = generate_key(keystore, name="Acme Members", email=OWNER, passphrase=PASSPHRASE)
        plain = generate_key(keystore, name="Plain", email=PLAIN_OWNER, passphrase=None,
                             algorithm="ed25519")
        foreign = generate_key(other, name="Other", email=FOREIGN, passphrase=None,
                               algorithm="ed25519")
        keystore.import_key_data(export_public_key(other, FOREIGN))
        yield Keys(keystore=keystore, owner=owner, plain=plain, foreign=foreign)
    finally:
        for store in (keystore, other):
            store.stop_agent()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(other_home, ignore_errors=True)


@pytest.fixture()
def fresh_home() -> Iterator[Path]:
    """An empty short GnuPG home path, cleaned up with its agent."""
    home = short_home()
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"],
                       capture_output=True, check=False, timeout=30)
        shutil.rmtree(home, ignore_errors=True)
