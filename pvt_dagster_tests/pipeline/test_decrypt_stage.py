"""The ``decrypted`` stage with the feed's decrypt config: keys chosen by file-name pattern with
per-key passphrases (from a file), a required signature, a compression bomb stopped by the
feed's limits, an expired key, and plain or encrypted files on the wrong kind of feed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pvt_dagster.decrypt import Keystore, encrypt_file, generate_key
from pvt_dagster_tests.support.fixtures import FEED_KEY, GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all
from pvt_dagster_tests.support.gpgtools import expired_key_with_file, gpg_encrypt

OLD, NEW, SIGNER = "old@test.example", "new@test.example", "signer@test.example"
NEW_PASSPHRASE = "new key's passphrase"
DECRYPT_LINE = ("        decrypt: {key: feed@test.example, passphrase: "
                "{env: PVT_TEST_FEED_PASSPHRASE}}")


@dataclass
class TwoKeys:
    """A keystore with two feed keys and a signing key, and their fingerprints."""

    keystore: Keystore
    old: str
    new: str
    signer: str


@pytest.fixture(scope="module")
def two_keys() -> Iterator[TwoKeys]:
    """A short-path keystore: old (no passphrase), new (passphrase) and a signer key."""
    home = Path(tempfile.mkdtemp(prefix="gk", dir="/tmp"))
    store = Keystore(home)
    try:
        yield TwoKeys(store, generate_key(store, name="Old", email=OLD, passphrase=None,
                                          algorithm="ed25519"),
                      generate_key(store, name="New", email=NEW, passphrase=NEW_PASSPHRASE,
                                   algorithm="ed25519"),
                      generate_key(store, name="Sig", email=SIGNER, passphrase=None,
                                   algorithm="ed25519"))
    finally:
        store.stop_agent()
        shutil.rmtree(home, ignore_errors=True)


def configure(env: IntakeEnv, keys: TwoKeys, decrypt: str) -> None:
    """Point the config at ``keys``' keystore and give acme/members this decrypt block."""
    text = env.config_path.read_text()
    assert DECRYPT_LINE in text
    text = text.replace(DECRYPT_LINE, f"        decrypt: {decrypt}")
    old_home = str(env.keys.keystore.gnupghome)
    env.config_path.write_text(text.replace(old_home, str(keys.keystore.gnupghome)))


def drop(env: IntakeEnv, keys: TwoKeys, name: str, recipient: str, data: bytes) -> None:
    """Encrypt ``data`` to ``recipient`` from ``keys``' keystore into the inbox."""
    plain = env.root / "plain.tmp"
    plain.write_bytes(data)
    encrypt_file(keys.keystore, plain, env.inbox / name, recipient=recipient)
    plain.unlink()


def test_keys_chosen_by_pattern_with_their_own_passphrases(intake_env: IntakeEnv,
                                                           two_keys: TwoKeys) -> None:
    secret = intake_env.root / "new.pass"
    secret.write_text(NEW_PASSPHRASE + "\n")
    configure(intake_env, two_keys,
              f'{{keys: [{{pattern: "*_2027*", key: {NEW}, passphrase: {{file: {secret}}}}}, '
              f'{{pattern: "*", key: {OLD}}}]}}')
    drop(intake_env, two_keys, "members_2026_01.csv.pgp", OLD, csv_bytes(GOOD_ROWS))
    drop(intake_env, two_keys, "members_2027_01.csv.pgp", NEW, csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    assert set(process_all(intake).values()) == {"delivered"}
    used = {}
    for record in intake.ledger.list_files():
        event = next(e for e in intake.ledger.events(record.key)
                     if e.stage == "decrypted" and e.outcome == "ok")
        used[record.name] = (event.details["key"], event.details["fingerprint"])
    assert used == {"members_2026_01.csv.pgp": (OLD, two_keys.old),
                    "members_2027_01.csv.pgp": (NEW, two_keys.new)}


def test_file_matching_no_key_pattern_fails_clearly(intake_env: IntakeEnv,
                                                    two_keys: TwoKeys) -> None:
    configure(intake_env, two_keys, f'{{keys: [{{pattern: "*_2027*", key: {OLD}}}]}}')
    drop(intake_env, two_keys, "members_2026.csv.pgp", OLD, csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    assert list(process_all(intake).values()) == ["failed"]
    (record,) = intake.ledger.list_files()
    assert "no decrypt.keys pattern of feed acme/members matches" in (record.error or "")


def test_required_signature(intake_env: IntakeEnv, two_keys: TwoKeys) -> None:
    configure(intake_env, two_keys, f"{{key: {OLD}, require_signature: true, "
                                    f"trusted_signers: [{two_keys.signer}]}}")
    plain = intake_env.root / "p.csv"
    plain.write_bytes(csv_bytes(GOOD_ROWS))
    gpg_encrypt(two_keys.keystore, plain, intake_env.inbox / "members_signed.csv.pgp",
                recipient=OLD, sign_with=SIGNER, passphrase="")
    gpg_encrypt(two_keys.keystore, plain, intake_env.inbox / "members_unsigned.csv.pgp",
                recipient=OLD)
    intake = intake_env.intake()
    process_all(intake)
    by_name = {r.name: r for r in intake.ledger.list_files()}
    assert by_name["members_signed.csv.pgp"].status == "delivered"
    assert by_name["members_signed.csv.pgp"].metrics["decrypted"]["signer"] == two_keys.signer
    unsigned = by_name["members_unsigned.csv.pgp"]
    assert (unsigned.status, unsigned.stage) == ("failed", "raw")
    assert "is not signed, but its feed requires a signature" in (unsigned.error or "")


def test_compression_bomb_fails_the_file_and_keeps_nothing(intake_env: IntakeEnv,
                                                           two_keys: TwoKeys) -> None:
    configure(intake_env, two_keys, f"{{key: {OLD}, max_output_bytes: 1MB}}")
    zeros = intake_env.root / "zeros"
    zeros.write_bytes(b"member_id,ssn,phone,state\n" + bytes(30 * 1024 * 1024))
    gpg_encrypt(two_keys.keystore, zeros, intake_env.inbox / "members_bomb.csv.pgp",
                recipient=OLD, compress="bzip2")
    intake = intake_env.intake()
    assert list(process_all(intake).values()) == ["failed"]
    (record,) = intake.ledger.list_files()
    assert "passed the limit of max_output_bytes (1000000)" in (record.error or "")
    folder = intake.layout.decrypted_path(record.key).parent
    assert not folder.exists() or list(folder.iterdir()) == []
    messages = intake.ledger.messages(file_key=record.key)
    assert any(m.kind == "decrypted_failed" and "compression bomb" in m.text for m in messages)


def test_expired_key_decrypts_with_a_warning(intake_env: IntakeEnv, two_keys: TwoKeys) -> None:
    configure(intake_env, two_keys, "{key: expired@test.example}")
    plain = intake_env.root / "p.csv"
    plain.write_bytes(csv_bytes(GOOD_ROWS))
    expired_key_with_file(two_keys.keystore, "expired@test.example", plain,
                          intake_env.inbox / "members_old.csv.pgp")
    intake = intake_env.intake()
    assert list(process_all(intake).values()) == ["delivered"]
    (record,) = intake.ledger.list_files()
    (warning,) = [m for m in intake.ledger.messages(file_key=record.key)
                  if m.kind == "key_expired"]
    assert warning.severity == "warning" and "expired on" in warning.text


def test_plain_file_on_an_encrypted_feed_and_the_reverse(intake_env: IntakeEnv) -> None:
    intake_env.drop_plain("members_plain.csv.pgp", csv_bytes(GOOD_ROWS))
    intake_env.drop_encrypted("plain_secret.csv", csv_bytes(GOOD_ROWS))
    intake = intake_env.intake()
    process_all(intake)
    by_name = {r.name: r for r in intake.ledger.list_files()}
    plain = by_name["members_plain.csv.pgp"]
    assert plain.status == "failed"
    assert plain.error == (f"members_plain.csv.pgp is not PGP-encrypted, but feed acme/members "
                           f"expects files encrypted to {FEED_KEY} (declare decrypt: none for "
                           "a feed of plain files)")
    secret = by_name["plain_secret.csv"]
    assert secret.status == "failed"
    assert "is PGP-encrypted, but feed acme/plain declares decrypt: none" in (secret.error or "")
