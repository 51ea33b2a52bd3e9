"""FTP commands and replies the ftp source needs beyond ftplib: FEAT, MLST, folder checks,
closing data connections, short error reasons."""

from __future__ import annotations

import ftplib
import socket
import ssl
from contextlib import suppress

from pvt_dagster.sources.base import EntryKind
from pvt_dagster.sources.remote import parse_ftp_time

MLSD_KINDS: dict[str, EntryKind] = {"file": "file", "dir": "dir", "cdir": "dir", "pdir": "dir",
                                    "os.unix=symlink": "symlink", "os.unix=slink": "symlink"}


def offers_mlsd(ftp: ftplib.FTP) -> bool:
    """Whether FEAT lists MLST (so MLSD and MLST work)."""
    try:
        features = ftp.sendcmd("FEAT")
    except ftplib.Error:
        return False
    return any(line.strip().upper().startswith("MLST") for line in features.splitlines()[1:])


def mlst(ftp: ftplib.FTP, full: str) -> tuple[EntryKind, int, float]:
    """Kind, size and mtime of one path by MLST."""
    reply = ftp.sendcmd(f"MLST {full}")
    lines = reply.splitlines()
    facts_text = lines[1].strip() if len(lines) > 2 else ""
    facts = {}
    for fact in facts_text.split(" ", 1)[0].split(";"):
        key, sep, value = fact.partition("=")
        if sep:
            facts[key.lower()] = value
    kind = MLSD_KINDS.get(facts.get("type", "").lower(), "other")
    return kind, as_int(facts.get("size")), (parse_ftp_time(facts["modify"])
                                           if "modify" in facts else 0.0)


def is_folder(ftp: ftplib.FTP, path: str) -> bool:
    """Whether ``path`` is a folder (CWD into it works); the working folder is restored."""
    try:
        here = ftp.pwd()
        ftp.cwd(path)
    except ftplib.error_perm:
        return False
    ftp.cwd(here)
    return True


def as_int(value: str | None) -> int:
    """An integer fact (0 when missing or unreadable)."""
    try:
        return int(value or 0)
    except ValueError:
        return 0


def close_data(conn: socket.socket) -> None:
    """Close a data connection, unwrapping TLS quietly."""
    with suppress(OSError, ValueError):
        if isinstance(conn, ssl.SSLSocket):
            conn.unwrap()
    with suppress(OSError):
        conn.close()


def quietly_close(ftp: ftplib.FTP) -> None:
    """Close the control connection, ignoring errors."""
    with suppress(Exception):
        ftp.close()


def reason(exc: BaseException) -> str:
    """A short reason for an ftplib or socket error (the server's reply or the OS error)."""
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return (text or type(exc).__name__)[:200]


MAX_LISTING_BYTES = 256 * 1024 * 1024  # a listing longer than this is refused, not read whole


def listing_lines(ftp: ftplib.FTP, command: str) -> list[str]:
    """The lines of a listing (``MLSD``, ``NLST``) split on CRLF only (LF for servers that
    send bare LFs) and decoded with ``surrogateescape``: a CR, an LF or bytes that are not
    UTF-8 inside one name stay in that name, which the source then refuses, instead of
    breaking the listing or making up names."""
    ftp.sendcmd("TYPE A")
    conn = ftp.transfercmd(command)
    chunks: list[bytes] = []
    total = 0
    try:
        while chunk := conn.recv(65536):
            total += len(chunk)
            if total > MAX_LISTING_BYTES:
                raise ftplib.error_proto(f"the listing is longer than {MAX_LISTING_BYTES} bytes")
            chunks.append(chunk)
    finally:
        close_data(conn)
    ftp.voidresp()
    data = b"".join(chunks)
    separator = b"\r\n" if b"\r\n" in data else b"\n"
    return [line.decode("utf-8", "surrogateescape") for line in data.split(separator) if line]


def mlsd_lines(ftp: ftplib.FTP, folder: str,
               facts: list[str]) -> list[tuple[str, dict[str, str]]]:
    """``MLSD folder``: each entry's name and facts (as ftplib's ``mlsd``, lines from
    ``listing_lines``)."""
    ftp.sendcmd("OPTS MLST " + ";".join(facts) + ";")
    found: list[tuple[str, dict[str, str]]] = []
    for line in listing_lines(ftp, f"MLSD {folder}"):
        facts_text, _, name = line.partition(" ")
        entry: dict[str, str] = {}
        for fact in facts_text[:-1].split(";"):
            key, _, value = fact.partition("=")
            entry[key.lower()] = value
        found.append((name, entry))
    return found
