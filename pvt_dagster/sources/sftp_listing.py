"""One SFTP folder listing that survives names that are not UTF-8, parsed at C speed.

paramiko's ``listdir_attr`` decodes every name as strict UTF-8, so one such name fails the
whole listing (and leaves the folder handle open). This is the same OPENDIR / READDIR / CLOSE
exchange with names decoded with ``surrogateescape``: the bad name comes back as text the
source refuses (``unsafe_reason``) while every other entry is listed as usual. Each NAME reply
is parsed with ``struct`` straight from its bytes (SFTP v3 attributes: flags, then size,
uid/gid, permissions, atime/mtime and extensions as the flags say), which is several times
cheaper than paramiko's per-field message reads on a folder of thousands of files. Several
READDIR requests are kept in flight (``WINDOW``), so a folder of thousands of files costs a
few round trips, not one per hundred names.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import paramiko

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_FLAG_SIZE, _FLAG_UIDGID, _FLAG_PERMISSIONS, _FLAG_ACMODTIME = 0x1, 0x2, 0x4, 0x8
_FLAG_EXTENDED = 0x80000000
WINDOW = 8  # READDIR requests in flight (OpenSSH answers each with up to 100 names)


@dataclass(frozen=True, slots=True)
class Listed:
    """One listed entry: its name and the attributes a listing uses (None when not sent)."""

    filename: str
    st_size: int | None
    st_mode: int | None
    st_mtime: int | None


def parse_names(data: bytes) -> list[Listed]:
    """The entries of one SSH_FXP_NAME reply body (after the request id): count, then for
    each a name, a long name and attributes. ``.`` and ``..`` are left out."""
    unpack_u32, unpack_u64 = _U32.unpack_from, _U64.unpack_from
    (count,), pos = unpack_u32(data, 0), 4
    found: list[Listed] = []
    for _ in range(count):
        (length,) = unpack_u32(data, pos)
        name = data[pos + 4:pos + 4 + length].decode("utf-8", "surrogateescape")
        pos += 4 + length
        (length,) = unpack_u32(data, pos)  # the long name (ls -l text): skipped
        pos += 4 + length
        (flags,) = unpack_u32(data, pos)
        pos += 4
        size = mode = mtime = None
        if flags & _FLAG_SIZE:
            (size,) = unpack_u64(data, pos)
            pos += 8
        if flags & _FLAG_UIDGID:
            pos += 8
        if flags & _FLAG_PERMISSIONS:
            (mode,) = unpack_u32(data, pos)
            pos += 4
        if flags & _FLAG_ACMODTIME:
            (mtime,) = unpack_u32(data, pos + 4)
            pos += 8
        if flags & _FLAG_EXTENDED:
            (pairs,) = unpack_u32(data, pos)
            pos += 4
            for _ in range(2 * pairs):
                (length,) = unpack_u32(data, pos)
                pos += 4 + length
        if name not in (".", ".."):
            found.append(Listed(name, size, mode, mtime))
    if pos > len(data):
        raise struct.error("a NAME reply shorter than its entries")
    return found


class _Replies:
    """The replies to one listing's READDIR requests, by request number, however they come
    (paramiko hands each to ``_async_response`` as it reads it)."""

    def __init__(self) -> None:
        self.by_number: dict[int, tuple[int, paramiko.Message]] = {}

    def _async_response(self, kind: int, msg: paramiko.Message, number: int) -> None:
        self.by_number[number] = (kind, msg)


def listdir_attr(sftp: paramiko.SFTPClient, folder: str) -> list[Listed]:
    """The entries of ``folder`` (without ``.`` and ``..``), names decoded leniently."""
    from paramiko.sftp import (
        CMD_CLOSE,
        CMD_HANDLE,
        CMD_NAME,
        CMD_OPENDIR,
        CMD_READDIR,
        CMD_STATUS,
        SFTP_EOF,
    )
    from paramiko.ssh_exception import SSHException

    kind, msg = sftp._request(CMD_OPENDIR, folder)
    if kind != CMD_HANDLE:
        raise SSHException("expected a folder handle")
    handle = msg.get_binary()
    replies = _Replies()
    in_flight = deque(sftp._async_request(replies, CMD_READDIR, handle) for _ in range(WINDOW))
    found: list[Listed] = []
    at_end = False
    try:
        while in_flight:  # in request order: each reply holds the names after the last one's
            number = in_flight.popleft()
            while number not in replies.by_number:
                sftp._read_response()  # one reply, handed to ``replies``
            kind, msg = replies.by_number.pop(number)
            if at_end:
                continue  # requests sent past the end: EOF too
            if kind == CMD_STATUS:
                start = msg.packet.tell()
                if msg.get_int() == SFTP_EOF:
                    at_end = True
                    continue
                msg.packet.seek(start)
                sftp._convert_status(msg)  # raises the server's error
            if kind != CMD_NAME:
                raise SSHException("expected a name response")
            try:
                found += parse_names(msg.get_remainder())
            except struct.error as exc:
                raise SSHException(f"a malformed name response: {exc}") from None
            in_flight.append(sftp._async_request(replies, CMD_READDIR, handle))
    finally:
        sftp._request(CMD_CLOSE, handle)  # reads (and drops) what is still in flight
    return found
