"""``pvt keys import|list``, the key checks of ``pvt config check`` (missing keys fail with the
line of ``decrypt.key``, keys expiring within 30 days warn), the decrypt config's validation,
and the gpg-agent being stopped when the product stops."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster.config import load_config
from pvt_dagster.decrypt import Keystore, export_public_key, generate_key
from pvt_dagster.errors import ConfigError
from pvt_dagster_tests.support.fixtures import FEED_KEY, IntakeEnv
from pvt_dagster_tests.support.gpgtools import agent_running, gpg_key_with_expiry

DECRYPT_LINE = "decrypt: {key: feed@test.example, passphrase: {env: PVT_TEST_FEED_PASSPHRASE}}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``pvt`` in process; exit status, stdout, stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the first line containing ``text``."""
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture()
def own_keystore(intake_env: IntakeEnv) -> Path:
    """Give the config a keystore of its own (short path), removed with its agent after."""
    home = Path(tempfile.mkdtemp(prefix="gc", dir="/tmp"))
    text = intake_env.config_path.read_text()
    intake_env.config_path.write_text(text.replace(str(intake_env.keys.keystore.gnupghome),
                                                   str(home)))
    yield home
    Keystore(home).stop_agent()
    subprocess.run(["rm", "-rf", str(home)], check=False)


def test_import_and_list_with_feeds(intake_env: IntakeEnv, own_keystore: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = str(intake_env.config_path)
    code, out, err = run(capsys, "--config", config, "keys", "list", "--json")
    assert (code, json.loads(out)) == (0, [])
    assert f"acme/members decryption key {FEED_KEY} is not in the keystore" in err
    code, out, _ = run(capsys, "--config", config, "config", "check")
    assert code == 1
    line = line_of(intake_env.config_path, DECRYPT_LINE)
    assert f"pvt.yaml:{line}: clients.acme.feeds.members.decrypt.key: no secret key for " \
           f"{FEED_KEY}" in out
    key_file = tmp_path / "pub.asc"
    key_file.write_text(export_public_key(intake_env.keys.keystore, FEED_KEY))
    code, out, _ = run(capsys, "--config", config, "keys", "import", str(key_file))
    assert code == 0 and "(public)" in out and FEED_KEY in out
    assert run(capsys, "--config", config, "config", "check")[0] == 1  # public is not enough
    secret = subprocess.run(
        ["gpg", "--homedir", str(intake_env.keys.keystore.gnupghome), "--batch",
         "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--armor",
         "--export-secret-keys", FEED_KEY], input=b"correct horse battery\n",
        capture_output=True, check=True).stdout
    key_file.write_bytes(secret)
    assert run(capsys, "--config", config, "keys", "import", str(key_file))[0] == 0
    code, out, err = run(capsys, "--config", config, "keys", "list", "--json")
    (entry,) = json.loads(out)
    assert set(entry) == {"fingerprint", "uids", "expires", "secret", "feeds", "signer_for"}
    assert entry["secret"] and entry["feeds"] == ["acme/members"] and entry["expires"] is None
    assert err == ""
    assert run(capsys, "--config", config, "config", "check")[0] == 0
    code, out, _ = run(capsys, "--config", config, "keys", "list")
    assert "acme/members" in out and "never" in out
    actions = intake_env.intake().ledger.operator_actions()
    assert [a.action for a in actions] == ["keys_import", "keys_import"]


def test_config_check_warns_about_keys_expiring_soon(intake_env: IntakeEnv, own_keystore: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    fpr = gpg_key_with_expiry(Keystore(own_keystore), "soon@test.example",
                              expires_in=timedelta(days=10))
    text = intake_env.config_path.read_text().replace(DECRYPT_LINE, "decrypt: {key: " + fpr + "}")
    intake_env.config_path.write_text(text)
    code, out, _ = run(capsys, "--config", str(intake_env.config_path), "config", "check")
    assert code == 0
    line = line_of(intake_env.config_path, fpr)
    assert f"warning: {intake_env.config_path}:{line}: clients.acme.feeds.members.decrypt.key:" \
           f" key {fpr} ({fpr}) expires on" in out
    assert "within 30 days" in out
    assert not agent_running(own_keystore)  # config check stops the agent it started


@pytest.mark.parametrize(("block", "message"), [
    ("{key: a@x, keys: [{pattern: '*', key: b@x}]}", "exactly one of key"),
    ("{keys: []}", "decrypt.keys is empty"),
    ("{key: a@x, require_signature: true}", "needs trusted_signers"),
    ("{key: a@x, trusted_signers: [ABCD]}", "not a full fingerprint"),
    ("{key: a@x, max_ratio: 0.5}", "max_ratio"),
])
def test_decrypt_config_errors(intake_env: IntakeEnv, block: str, message: str) -> None:
    text = intake_env.config_path.read_text().replace(DECRYPT_LINE, f"decrypt: {block}")
    intake_env.config_path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(intake_env.config_path)
    assert info.value.issues[0].line == line_of(intake_env.config_path, f"decrypt: {block}")


def test_decrypt_config_forms(intake_env: IntakeEnv) -> None:
    text = intake_env.config_path.read_text().replace(
        DECRYPT_LINE, "decrypt: {keys: [{pattern: '*_2027*', key: new@x}, {pattern: '*', "
                      "key: old@x, passphrase: {env: P}}], passphrase: {env: Q}, "
                      "max_output_bytes: 2GB, trusted_signers: ['" + "ab" * 20 + "']}")
    intake_env.config_path.write_text(text)
    decrypt = load_config(intake_env.config_path).feed("acme", "members").config.decrypt
    assert decrypt != "none"
    new, old = decrypt.choose("m_2027_1.pgp"), decrypt.choose("m_2026.pgp")
    assert new and (new.key, new.passphrase and new.passphrase.env) == ("new@x", "Q")
    assert old and (old.key, old.passphrase and old.passphrase.env) == ("old@x", "P")
    assert decrypt.max_output_bytes == 2 * 10**9 and decrypt.trusted_signers == ["AB" * 20]
    assert load_config(intake_env.config_path).feed("acme", "plain").config.decrypt == "none"


STOPPER = """
import sys
from pathlib import Path
from pvt_dagster.decrypt import Keystore, generate_key
store = Keystore(Path(sys.argv[1]))
generate_key(store, name="A", email="a@x.example", passphrase=None, algorithm="ed25519")
store.list_keys(secret=True)
print("started")
"""


def test_agent_stops_with_intake_close_and_at_process_exit(intake_env: IntakeEnv,
                                                           own_keystore: Path) -> None:
    store = Keystore(own_keystore)
    generate_key(store, name="F", email=FEED_KEY, passphrase=None, algorithm="ed25519")
    intake = intake_env.intake()
    intake.keystore.list_keys(secret=True)
    assert agent_running(own_keystore)
    intake.close()
    assert not agent_running(own_keystore)
    other = Path(tempfile.mkdtemp(prefix="ga", dir="/tmp"))
    try:
        proc = subprocess.run([sys.executable, "-c", STOPPER, str(other)], capture_output=True,
                              text=True, timeout=120, check=False)
        assert proc.stdout.strip() == "started", proc.stderr
        assert not agent_running(other)
    finally:
        Keystore(other).stop_agent()
        subprocess.run(["rm", "-rf", str(other)], check=False)
