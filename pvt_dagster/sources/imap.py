"""The attachments of messages in a mailbox folder as a Source (imaplib).

Entries are the attachments (disposition ``attachment``, or a file name and no disposition)
of the messages in ``folder`` that a server-side SEARCH finds: ``UNDELETED``, ``UNSEEN`` with
``after_transfer: seen``, ``FROM`` ``sender`` and ``SUBJECT`` ``subject`` when set. An entry's
path is ``<UIDVALIDITY>/<UID>/<section>/<safe file name>``: stable and unique, since IMAP never
changes a message under the same UIDVALIDITY and UID. ``size`` is the decoded size (RFC 3516
``BINARY.SIZE`` where offered, else counted once by decoding, cached per process), ``mtime`` the
message's INTERNALDATE. Reads never set ``\\Seen`` (``EXAMINE`` and ``.PEEK``) and stream in
1 MiB partial fetches (``BINARY.PEEK`` decoded by the server, else ``BODY.PEEK`` decoded here),
so no attachment is ever held whole in memory.

After a transfer, the attachment gets a ``PvtGot<section>`` keyword on its message, and the
message-level action runs once every attachment of the message has one: ``seen`` sets
``\\Seen``; ``delete`` sets ``\\Deleted`` and expunges that message (``UID EXPUNGE`` where
offered); ``archive:FOLDER`` moves it (``MOVE``, else ``COPY`` + delete), creating FOLDER if
needed. An attachment that is refused (no feed, constraints) therefore keeps its message in
place for an operator to look at; ``keep`` does nothing. TLS (``ssl`` or ``starttls``) verifies
the certificate (``ca_bundle`` for a private CA); ``security: none`` is for 127.0.0.1 tests.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from pvt_dagster.config import Seen
from pvt_dagster.errors import SourceEntryGoneError, SourceError
from pvt_dagster.sources.base import RemoteEntry
from pvt_dagster.sources.imapconn import ImapConnection, quote
from pvt_dagster.sources.imapparse import (
    Decoder,
    ParseFailure,
    Part,
    attachments,
    fetch_items,
    internal_date,
)
from pvt_dagster.sources.streams import ChunkStream

CHUNK = 1024 * 1024
BATCH = 200
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SIZES: dict[tuple[str, ...], int] = {}  # decoded sizes: messages never change under one UID


def keyword(section: str) -> str:
    """The keyword that marks an attachment of a message as transferred."""
    return f"PvtGot{section}"


class MailboxSource(ImapConnection):
    """Attachments in an IMAP folder: listed by SEARCH + BODYSTRUCTURE, read by partial fetch."""

    # -- listing ----------------------------------------------------------------------------

    def _criteria(self) -> list[str]:
        criteria = ["UNDELETED"]
        if isinstance(self.config.after_transfer, Seen):
            criteria.append("UNSEEN")
        if self.config.sender:
            criteria += ["FROM", quote(self.config.sender)]
        if self.config.subject:
            criteria += ["SUBJECT", quote(self.config.subject)]
        return criteria

    def _messages(self, uids: list[str]) -> list[dict[str, Any]]:
        """UID, INTERNALDATE, FLAGS and BODYSTRUCTURE of messages, in batches."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(uids), BATCH):
            data = self._command("list messages", "UID FETCH", ",".join(uids[start:start + BATCH]),
                                 "(UID INTERNALDATE FLAGS BODYSTRUCTURE)")
            try:
                found += fetch_items(data)
            except ParseFailure as exc:
                raise SourceError(f"{self.label}: unreadable FETCH answer: {exc}") from exc
        return [m for m in found if isinstance(m.get("UID"), bytes)]

    def list_entries(self) -> list[RemoteEntry]:
        """Every attachment of every matching message, sorted by path."""
        self._select(readonly=True)
        data = self._command("search", "UID SEARCH", *self._criteria())
        uids = b" ".join(d for d in data if isinstance(d, bytes)).decode().split()
        found = [(m, p) for m in self._messages(uids) for p in _parts(m)]
        sizes = self._sizes([(m["UID"].decode(), p) for m, p in found])
        return sorted((self._entry(m, p, sizes) for m, p in found), key=lambda e: e.path)

    def _entry(self, message: dict[str, Any], part: Part, sizes: dict[tuple[str, str], int]
               ) -> RemoteEntry:
        uid = message["UID"].decode()
        try:
            mtime = internal_date(message.get("INTERNALDATE"))
        except ParseFailure as exc:
            raise SourceError(f"{self.label}: message {uid}: {exc}") from exc
        safe = _SAFE.sub("_", part.filename).strip("._")[:100] or "attachment"
        return RemoteEntry(path=f"{self._uidvalidity}/{uid}/{part.section}/{safe}",
                           name=part.filename, size=sizes[(uid, part.section)], mtime=mtime)

    def _cache_key(self, uid: str, section: str) -> tuple[str, ...]:
        c = self.config
        return (c.host, str(c.port), c.username, c.folder, self._uidvalidity, uid, section)

    def _sizes(self, wanted: list[tuple[str, Part]]) -> dict[tuple[str, str], int]:
        """Decoded sizes: cached, else BINARY.SIZE (grouped by section), else decoded here."""
        sizes: dict[tuple[str, str], int] = {}
        missing: dict[str, list[str]] = defaultdict(list)
        for uid, part in wanted:
            cached = _SIZES.get(self._cache_key(uid, part.section))
            if cached is not None:
                sizes[(uid, part.section)] = cached
            elif "BINARY" in self._caps:
                missing[part.section].append(uid)
            else:
                sizes[(uid, part.section)] = sum(len(c) for c in self._chunks(uid, part))
        for section, uids in missing.items():
            item = f"BINARY.SIZE[{section}]"
            for start in range(0, len(uids), BATCH):
                data = self._command("list sizes", "UID FETCH",
                                     ",".join(uids[start:start + BATCH]), f"({item})")
                for message in fetch_items(data):
                    if isinstance(message.get("UID"), bytes) and message.get(item.upper()):
                        sizes[(message["UID"].decode(), section)] = int(message[item.upper()])
        if len(_SIZES) > 200_000:
            _SIZES.clear()  # bounded: a cache, not a record
        for (uid, section), size in sizes.items():
            _SIZES[self._cache_key(uid, section)] = size
        for uid, part in wanted:
            if (uid, part.section) not in sizes:
                raise SourceError(f"{self.label}: no size for message {uid} "
                                  f"part {part.section}")
        return sizes

    # -- single entries ---------------------------------------------------------------------

    def _locate(self, path: str, readonly: bool) -> tuple[dict[str, Any], Part, list[Part]]:
        """The message and attachment a path names; SourceEntryGoneError if it is gone."""
        bits = path.split("/", 3)
        if len(bits) != 4 or not bits[1].isdigit():
            raise SourceError(f"{self.label}: {path!r} is not a mailbox entry path")
        self._select(readonly)
        validity, uid, section = bits[0], bits[1], bits[2]
        gone = self.gone(path)
        if validity != self._uidvalidity:
            raise gone  # the folder was re-created: its old UIDs mean nothing now
        found = self._messages([uid])
        if not found or b"\\Deleted" in _flags(found[0]):
            raise gone
        parts = _parts(found[0])
        part = next((p for p in parts if p.section == section), None)
        if part is None:
            raise gone
        return found[0], part, parts

    def stat(self, path: str) -> RemoteEntry:
        """The attachment now; SourceEntryGoneError if its message is gone."""
        message, part, _ = self._locate(path, readonly=True)
        sizes = self._sizes([(message["UID"].decode(), part)])
        return self._entry(message, part, sizes)

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A stream of the attachment's decoded bytes, fetched 1 MiB at a time."""
        message, part, _ = self._locate(path, readonly=True)
        return ChunkStream(self._chunks(message["UID"].decode(), part),
                           translate=lambda exc: None).as_binary()

    def _chunks(self, uid: str, part: Part) -> Iterator[bytes]:
        """The decoded bytes of one attachment, by partial fetches (never setting \\Seen)."""
        binary = "BINARY" in self._caps
        decoder = Decoder("binary" if binary else part.encoding)
        name = "BINARY" if binary else "BODY"
        offset = 0
        while True:
            data = self._command("read", "UID FETCH", uid,
                                 f"({name}.PEEK[{part.section}]<{offset}.{CHUNK}>)")
            try:
                items = fetch_items(data)
            except ParseFailure as exc:
                raise SourceError(f"{self.label}: unreadable FETCH answer: {exc}") from exc
            key = f"{name}[{part.section}]<{offset}>"
            raw = next((m[key] for m in items if key in m), None)
            if raw is None:
                raise SourceEntryGoneError(f"{self.label}: message {uid} is gone")
            offset += len(raw)
            try:
                decoded = decoder.feed(raw)
            except ParseFailure as exc:
                raise SourceError(f"{self.label}: message {uid}: {exc}") from exc
            if decoded:
                yield decoded
            if len(raw) < CHUNK:
                break
        if tail := decoder.flush():
            yield tail

    # -- after the transfer -----------------------------------------------------------------

    def _finish(self, path: str, action: str, folder: str = "") -> str:
        """Mark the attachment transferred; run ``action`` once all of its message's are."""
        message, part, parts = self._locate(path, readonly=False)
        uid = message["UID"].decode()
        self._command("mark the attachment", "UID STORE", uid, "+FLAGS",
                      f"({keyword(part.section)})")
        after = self._messages([uid])
        flags = set(_flags(after[0])) if after else set()
        waiting = [p for p in parts if keyword(p.section).encode() not in flags]
        if waiting:
            later = f"once the other {len(waiting)} attachment(s) of message {uid} are in"
            return f"{folder} {later}" if action == "archive" else \
                f"marked {path} transferred; message {uid} is {action}ed {later}"
        if action == "seen":
            self._command("mark seen", "UID STORE", uid, "+FLAGS", "(\\Seen)")
            return f"marked message {uid} seen"
        if action == "archive":
            if not self._exists(folder):
                self._command("create the archive folder", "CREATE", quote(folder))
            if "MOVE" in self._caps:
                self._command("move", "UID MOVE", uid, quote(folder))
                return f"{folder} (message {uid})"
            self._command("copy", "UID COPY", uid, quote(folder))
        self._command("delete", "UID STORE", uid, "+FLAGS", "(\\Deleted)")
        if "UIDPLUS" in self._caps:
            self._command("expunge", "UID EXPUNGE", uid)
        else:
            self._command("expunge", "EXPUNGE")
        return f"{folder} (message {uid})" if action == "archive" else f"deleted message {uid}"

    def _exists(self, folder: str) -> bool:
        data = self._command("list folders", "LIST", '""', quote(folder))
        return any(data)

    def remove(self, path: str) -> None:
        """Delete the message once every attachment of it is transferred."""
        self._finish(path, "delete")

    def archive(self, path: str, destination: str) -> str:
        """Move the message to ``destination`` once every attachment of it is transferred;
        a description of where it is or will be."""
        return self._finish(path, "archive", destination)

    def mark_seen(self, path: str) -> str:
        """Mark the message seen once every attachment of it is transferred."""
        return self._finish(path, "seen")

def _flags(message: dict[str, Any]) -> list[bytes]:
    flags = message.get("FLAGS")
    return [f for f in flags if isinstance(f, bytes)] if isinstance(flags, list) else []


def _parts(message: dict[str, Any]) -> list[Part]:
    return attachments(message.get("BODYSTRUCTURE"))
