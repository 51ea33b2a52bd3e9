"""An imap source takes only PGP-signed attachments by default (a From header is easy to
forge): its ``trusted_signers`` are checked when an attachment is decrypted, an unsigned one
fails with a recorded SignatureError, and ``require_signature: false`` is an explicit opt-out
that ``pvt config check`` warns about. Real dovecot and gpg."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pvt_dagster.cli import main
from pvt_dagster_tests.sources.test_imap import PASSWORD_ENV, SENDER, message
from pvt_dagster_tests.support.fixtures import (
    FEED_KEY,
    GOOD_ROWS,
    PASSPHRASE,
    IntakeEnv,
    csv_bytes,
)
from pvt_dagster_tests.support.flow import process_all
from pvt_dagster_tests.support.gpgtools import gpg_encrypt
from pvt_dagster_tests.support.remote_env import use_source
from pvt_dagster_tests.support.servers.dovecot import PASSWORD, Dovecot

SOURCE = """\
        kind: imap
        host: imap.acme.example
        username: intake
        password: {{env: {env}}}
        after_transfer: seen
{extra}"""


def only_members(env: IntakeEnv) -> None:
    """Drop the test config's plain (decrypt: none) feed: mail must be signed, encrypted."""
    text = env.config_path.read_text()
    env.config_path.write_text(text.split("      plain:\n", 1)[0])


def check(env: IntakeEnv, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``pvt config check``: exit status and everything printed."""
    status = main(["--config", str(env.config_path), "config", "check"])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_an_imap_source_needs_trusted_signers_or_an_explicit_opt_out(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    only_members(intake_env)
    original = intake_env.config_path.read_text()
    use_source(intake_env, SOURCE.format(env=PASSWORD_ENV, extra=""))
    status, out = check(intake_env, capsys)
    assert status == 1
    assert "an imap source takes only PGP-signed attachments by default" in out
    assert "trusted_signers: [FINGERPRINT, ...], or set require_signature: false" in out

    intake_env.config_path.write_text(original)
    use_source(intake_env, SOURCE.format(env=PASSWORD_ENV,
                                         extra="        require_signature: false\n"))
    status, out = check(intake_env, capsys)
    assert status == 0, out
    assert "require_signature: false: any mail whose From header matches is taken in" in out
    assert "clients.acme.sources.drop.require_signature" in out


def test_a_plain_feed_cannot_read_a_signing_imap_source(
        intake_env: IntakeEnv, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    use_source(intake_env, SOURCE.format(
        env=PASSWORD_ENV, extra="        trusted_signers: [" + "A" * 40 + "]\n"))
    status, out = check(intake_env, capsys)
    assert status == 1
    assert ("source 'drop' (imap) requires signed attachments, and a decrypt: none feed "
            "cannot check a signature") in out


def test_only_attachments_signed_by_a_trusted_signer_are_taken(
        dovecot: Dovecot, intake_env: IntakeEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    only_members(intake_env)
    keystore = intake_env.keys.keystore
    (signer,) = [k.fingerprint for k in keystore.list_keys(secret=True)
                 if any(FEED_KEY in uid for uid in k.uids)]
    folder = dovecot.new_folder()
    use_source(intake_env, dovecot.source_yaml(folder, after_transfer="seen",
                                               password_env=PASSWORD_ENV, signers=[signer],
                                               extra=f"        sender: {SENDER}\n"))
    with tempfile.TemporaryDirectory(dir=intake_env.root) as tmp:
        plain = Path(tmp) / "plain.csv"
        plain.write_bytes(csv_bytes(GOOD_ROWS))
        signed = gpg_encrypt(keystore, plain, Path(tmp) / "signed", recipient=FEED_KEY,
                             sign_with=FEED_KEY, passphrase=PASSPHRASE).read_bytes()
        unsigned = gpg_encrypt(keystore, plain, Path(tmp) / "unsigned",
                               recipient=FEED_KEY).read_bytes()
    # Both come "from" the client: only the signature tells the forged one.
    dovecot.deliver(folder, message(("members_signed.csv.pgp", signed)))
    dovecot.deliver(folder, message(("members_forged.csv.pgp", unsigned)))
    intake = intake_env.intake()
    try:
        statuses = process_all(intake)
        by_name = {intake.ledger.get_file(k).name: s for k, s in statuses.items()}
        assert by_name == {"members_signed.csv.pgp": "delivered",
                           "members_forged.csv.pgp": "failed"}
        forged = next(r for r in intake.ledger.list_files(client="acme")
                      if r.name == "members_forged.csv.pgp")
        assert forged.stage == "raw" and "signature" in (forged.error or "").lower()
        signed_record = next(r for r in intake.ledger.list_files(client="acme")
                             if r.name == "members_signed.csv.pgp")
        assert signed_record.status == "delivered"
    finally:
        intake.close()
