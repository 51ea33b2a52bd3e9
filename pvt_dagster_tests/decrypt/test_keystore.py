"""The keystore: a private GnuPG home with a non-caching agent, key import and lookup."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pvt_dagster.decrypt import Keystore, export_public_key
from pvt_dagster.errors import KeystoreError
from pvt_dagster_tests.decrypt.conftest import FOREIGN, OWNER, PLAIN_OWNER, Keys


def test_home_is_private_and_agent_never_caches(fresh_home: Path) -> None:
    home = fresh_home / "ks"
    Keystore(home)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    conf = (home / "gpg-agent.conf").read_text().splitlines()
    assert {"default-cache-ttl 0", "max-cache-ttl 0", "allow-loopback-pinentry"} <= set(conf)


def test_lists_public_and_secret_keys(keys: Keys) -> None:
    public = {k.fingerprint: k for k in keys.keystore.list_keys()}
    secret = {k.fingerprint: k for k in keys.keystore.list_keys(secret=True)}
    assert set(public) == {keys.owner, keys.plain, keys.foreign}
    assert set(secret) == {keys.owner, keys.plain}
    assert public[keys.owner].uids == (f"Acme Members <{OWNER}>",)
    assert public[keys.owner].expires is None and not public[keys.owner].secret
    assert secret[keys.owner].secret


@pytest.mark.parametrize("ident", [OWNER, OWNER.upper(), f"<{OWNER}>",
                                   f"Acme Members <{OWNER}>"])
def test_has_secret_key_by_email_or_uid(keys: Keys, ident: str) -> None:
    assert keys.keystore.has_secret_key(ident)


def test_has_secret_key_by_fingerprint_and_key_id(keys: Keys) -> None:
    store = keys.keystore
    assert store.has_secret_key(keys.owner)
    assert store.has_secret_key(keys.owner.lower())
    assert store.has_secret_key(keys.owner[-16:])
    assert not store.has_secret_key(keys.foreign)  # public only
    assert not store.has_secret_key(FOREIGN)
    assert not store.has_secret_key("members@acme")  # no substring matches
    assert not store.has_secret_key("nobody@nowhere.example")


def test_import_key_file(keys: Keys, fresh_home: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "plain.asc"
    key_file.write_text(export_public_key(keys.keystore, PLAIN_OWNER))
    store = Keystore(fresh_home)
    assert store.import_key_file(key_file) == [keys.plain]
    assert store.import_key_file(key_file) == [keys.plain]  # unchanged is fine
    assert [k.fingerprint for k in store.list_keys()] == [keys.plain]
    assert store.list_keys(secret=True) == []


def test_import_garbage_and_missing_file(fresh_home: Path, tmp_path: Path) -> None:
    store = Keystore(fresh_home)
    junk = tmp_path / "junk.asc"
    junk.write_text("not a key")
    with pytest.raises(KeystoreError, match=r"junk\.asc"):
        store.import_key_file(junk)
    with pytest.raises(KeystoreError, match=r"missing\.asc"):
        store.import_key_file(tmp_path / "missing.asc")
    with pytest.raises(KeystoreError, match="no public key"):
        export_public_key(store, "nobody@nowhere.example")
