"""The imap source against dovecot on 127.0.0.1: attachments of messages matching sender and
subject filters, decoded sizes (BINARY.SIZE and our own decoding), streamed reads verified by
sha256, seen/delete/archive only once every attachment of a message is in, TLS verification,
bad passwords, a vanished message, and one attachment end to end."""

from __future__ import annotations

import hashlib
import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from pvt_dagster.config.models import ImapSource, Keep, parse_after_transfer
from pvt_dagster.errors import ServerIdentityError, SourceAuthError, SourceEntryGoneError
from pvt_dagster.sources import Source, open_source
from pvt_dagster.sources.imap import MailboxSource
from pvt_dagster.transport import after_transfer, receive
from pvt_dagster_tests.support.fixtures import GOOD_ROWS, IntakeEnv, csv_bytes
from pvt_dagster_tests.support.flow import process_all, read_daily
from pvt_dagster_tests.support.remote_env import encrypted, sensor_messages, use_source
from pvt_dagster_tests.support.servers.dovecot import PASSWORD, Dovecot

PASSWORD_ENV = "PVT_TEST_IMAP_PASSWORD"
SENDER = "exports@acme.example"


@pytest.fixture
def imap(dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch) -> Dovecot:
    """Dovecot, with the account's password in the environment variable configs name."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return dovecot


def make(server: Dovecot, folder: str, *, after: str = "keep", binary: bool = True,
         **extra: object) -> MailboxSource:
    """An imap source over ``folder`` (plain IMAP unless ``extra`` says otherwise)."""
    config = ImapSource.model_validate({
        "kind": "imap", "host": "127.0.0.1", "port": server.port, "security": "none",
        "username": "reader", "password": {"env": PASSWORD_ENV}, "folder": folder,
        "after_transfer": after, "require_signature": False, **extra})
    source = open_source("mail", config)
    assert isinstance(source, MailboxSource) and isinstance(source, Source)
    if not binary:  # as with a server without RFC 3516: sizes and content decoded here
        source._connect()
        source._caps.discard("BINARY")
    return source


def message(*attachments: tuple[str, bytes], sender: str = SENDER,
            subject: str = "Members export", inline: bool = False,
            qp: bool = False) -> bytes:
    """An email with a text body and the given attachments (base64, or quoted-printable)."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "intake@example.org", subject
    mail.set_content("Files attached.")
    for name, data in attachments:
        if qp:
            mail.add_attachment(data.decode(), filename=name, cte="quoted-printable")
        else:
            mail.add_attachment(data, maintype="application", subtype="octet-stream",
                                filename=name)
    if inline:
        mail.add_attachment(b"\x89PNG logo", maintype="image", subtype="png",
                            filename="logo.png", disposition="inline")
    return mail.as_bytes()


def test_lists_attachments_of_matching_messages(imap: Dovecot) -> None:
    folder = imap.new_folder()
    imap.deliver(folder, message(("members_1.csv.pgp", b"a" * 1000), ("café 2.csv", b"b" * 7),
                                 inline=True))
    imap.deliver(folder, message(("other.csv", b"c"), sender="someone@else.example"))
    imap.deliver(folder, message(("news.csv", b"d"), subject="Newsletter"))
    for binary in (True, False):
        source = make(imap, folder, binary=binary, sender="acme.example", subject="export")
        entries = source.list_entries()
        assert [(e.name, e.size) for e in entries] == [("members_1.csv.pgp", 1000),
                                                       ("café 2.csv", 7)]
        validity, uid, section, safe = entries[1].path.split("/")
        assert validity.isdigit() and uid == "1" and section == "3" and safe == "caf_2.csv"
        assert entries[0].mtime == entries[1].mtime > 0
        assert source.stat(entries[0].path) == entries[0]
        source.close()
    assert len(make(imap, folder).list_entries()) == 4  # no filters: every attachment


@pytest.mark.parametrize(("binary", "qp"), [(True, False), (False, False), (False, True)])
def test_streams_an_attachment_with_its_sha256(imap: Dovecot, tmp_path: Path, binary: bool,
                                               qp: bool) -> None:
    folder = imap.new_folder()
    text = "".join(f"{n},name=välue {'x' * 90}\n" for n in range(30_000))
    data = os.urandom(3 * 1024 * 1024 + 3) if not qp else text.encode()
    imap.deliver(folder, message(("big.bin", data), qp=qp))
    source = make(imap, folder, binary=binary)
    (entry,) = source.list_entries()
    received = receive(source, entry, tmp_path / "vault" / "big.bin")
    if qp:  # a text part travels with CRLF line ends
        data = data.replace(b"\n", b"\r\n")
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert received.bytes == entry.size == len(data)
    assert imap.uids(folder, "SEEN") == []  # reading never marks a message seen


@pytest.mark.parametrize(("policy", "legacy"), [("seen", False), ("delete", False),
                                               ("archive:Done", False), ("delete", True),
                                               ("archive:Done", True)])
def test_the_message_is_cleaned_up_once_every_attachment_is_in(imap: Dovecot, policy: str,
                                                               legacy: bool) -> None:
    folder = imap.new_folder()
    imap.deliver(folder, message(("a.csv", b"a"), ("b.csv", b"b")))
    source = make(imap, folder, after=policy)
    if legacy:  # as with a server without MOVE and UIDPLUS: COPY, \Deleted and EXPUNGE
        source._connect()
        source._caps -= {"MOVE", "UIDPLUS"}
    first, second = source.list_entries()
    waiting = after_transfer(source, first, parse_after_transfer(policy))
    assert imap.uids(folder, "UNDELETED", "UNSEEN") == ["1"]
    done = after_transfer(source, second, parse_after_transfer(policy))
    if policy == "seen":
        assert "once the other 1 attachment(s) of message 1 are in" in waiting
        assert done == "marked message 1 seen" and imap.uids(folder, "SEEN") == ["1"]
    elif policy == "delete":
        assert imap.uids(folder) == []
    else:
        assert waiting.endswith("to Done once the other 1 attachment(s) of message 1 are in")
        assert done.endswith("to Done (message 1)") and imap.uids(folder) == []
        assert imap.uids("Done", "ALL") != []
    assert make(imap, folder, after=policy).list_entries() == []


def test_keep_leaves_the_message_as_it_is(imap: Dovecot) -> None:
    folder = imap.new_folder()
    imap.deliver(folder, message(("a.csv", b"a")))
    source = make(imap, folder, after="keep")
    (entry,) = source.list_entries()
    assert after_transfer(source, entry, Keep()).startswith("kept")
    assert imap.uids(folder, "UNSEEN") == ["1"] and source.list_entries() == [entry]


def test_a_message_expunged_after_listing_is_gone(imap: Dovecot) -> None:
    folder = imap.new_folder()
    imap.deliver(folder, message(("a.csv", b"a")))
    source = make(imap, folder)
    (entry,) = source.list_entries()
    conn = imap.login()
    conn.select(folder)
    conn.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
    conn.expunge()
    conn.logout()
    for action in (source.stat, source.open_read, source.remove):
        with pytest.raises(SourceEntryGoneError, match="is gone"):
            action(entry.path)


def test_tls_is_verified_and_a_bad_password_refused(imap: Dovecot,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    folder = imap.new_folder()
    imap.deliver(folder, message(("a.csv", b"a")))
    tls = {"security": "ssl", "port": imap.tls_port}
    assert len(make(imap, folder, **tls, ca_bundle=str(imap.cert)).list_entries()) == 1
    with pytest.raises(ServerIdentityError, match="does not verify"):
        make(imap, folder, **tls).list_entries()
    monkeypatch.setenv("PVT_TEST_IMAP_WRONG", "wrong-password")
    with pytest.raises(SourceAuthError, match="refused the login of reader") as info:
        make(imap, folder, password={"env": "PVT_TEST_IMAP_WRONG"}).list_entries()
    assert "wrong-password" not in str(info.value)


def test_a_bad_password_is_recorded_by_the_sensor(imap: Dovecot, intake_env: IntakeEnv,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PVT_TEST_IMAP_WRONG", "wrong-password")
    use_source(intake_env, imap.source_yaml(imap.new_folder(), after_transfer="seen",
                                            password_env="PVT_TEST_IMAP_WRONG"))
    reason, messages = sensor_messages(intake_env)
    assert "refused the login" in reason
    assert [(m.kind, m.severity) for m in messages] == [("source_unavailable", "failure")]


def test_end_to_end_from_a_mailbox_to_delivered(imap: Dovecot, intake_env: IntakeEnv) -> None:
    folder = imap.new_folder()
    use_source(intake_env, imap.source_yaml(folder, after_transfer="archive:Processed",
                                            password_env=PASSWORD_ENV,
                                            extra=f"        sender: {SENDER}\n"))
    payload = encrypted(intake_env, csv_bytes(GOOD_ROWS))
    imap.deliver(folder, message(("members_2026-11-01.csv.pgp", payload)))
    intake = intake_env.intake()
    statuses = process_all(intake)
    assert list(statuses.values()) == ["delivered"]
    (key,) = statuses
    record = intake.ledger.get_file(key)
    assert record.name == "members_2026-11-01.csv.pgp"
    assert record.raw_sha256 == hashlib.sha256(payload).hexdigest()
    assert len(read_daily(intake_env.out)) == len(GOOD_ROWS)
    assert imap.uids(folder) == [] and len(imap.uids("Processed")) >= 1
    intake.close()
