"""An FTP or FTPS server as a Source (ftplib): passive mode, binary transfers (TYPE I before
SIZE), MLSD where the server offers it, else NLST + SIZE + MDTM; FTPS verifies the server's
certificate and host name (``ca_bundle`` or the system CAs) and protects data (PROT P)."""

from __future__ import annotations

import ftplib
import posixpath
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import BinaryIO, cast

from pvt_dagster.config import FtpSource
from pvt_dagster.errors import (
    PvtError,
    ServerIdentityError,
    SourceAuthError,
    SourceEntryGoneError,
    SourceError,
)
from pvt_dagster.sources.base import (
    BaseSource,
    EntryKind,
    RemoteEntry,
    free_name,
    unsafe_entry,
    unsafe_reason,
)
from pvt_dagster.sources.ftp_commands import (
    MLSD_KINDS,
    as_int,
    close_data,
    is_folder,
    listing_lines,
    mlsd_lines,
    mlst,
    offers_mlsd,
    quietly_close,
    reason,
)
from pvt_dagster.sources.remote import (
    archive_folder,
    is_unsafe_name,
    parse_ftp_time,
    relative_to_root,
    server_path,
    server_root,
)

_FACTS = ["type", "size", "modify"]


class FtpFolderSource(BaseSource[FtpSource]):
    """A folder on an FTP(S) server, over one control connection opened on first use."""

    def __init__(self, name: str, config: FtpSource) -> None:
        super().__init__(name, config, where=f"{config.kind}://{config.host}:{config.port}")
        self.root = server_root(config.path)
        self._ftp: ftplib.FTP | None = None
        self._mlsd = False
        destination = self.archive_destination
        self._archive = archive_folder(self.root, destination) if destination else None

    # -- connection -------------------------------------------------------------------------

    def ftp(self) -> ftplib.FTP:
        """The logged-in control connection (binary, passive), opened on first use."""
        if self._ftp is None:
            self._ftp = self._connect()
        return self._ftp

    def _connect(self) -> ftplib.FTP:
        cfg = self.config
        password = cfg.password.resolve() if cfg.password else ""
        ftp: ftplib.FTP
        if cfg.kind == "ftps":
            context = ssl.create_default_context(
                cafile=str(cfg.ca_bundle) if cfg.ca_bundle else None)
            ftp = ftplib.FTP_TLS(context=context, timeout=cfg.timeout_seconds)
        else:
            ftp = ftplib.FTP(timeout=cfg.timeout_seconds)
        try:
            ftp.connect(cfg.host, cfg.port)
            ftp.login(cfg.username, password)  # FTP_TLS: AUTH TLS first
            if isinstance(ftp, ftplib.FTP_TLS):
                ftp.prot_p()
            ftp.set_pasv(True)
            ftp.voidcmd("TYPE I")
            self._mlsd = offers_mlsd(ftp)
        except ssl.SSLCertVerificationError as exc:
            quietly_close(ftp)
            raise ServerIdentityError(
                f"{self.label}: the server's TLS certificate does not verify "
                f"({exc.verify_message}); set ca_bundle to the CA that issued it") from exc
        except ftplib.error_perm as exc:
            quietly_close(ftp)
            if str(exc).startswith("530"):
                raise SourceAuthError(f"{self.label}: the server refused the credentials of "
                                      f"user {cfg.username!r}") from exc
            raise SourceError(f"{self.label}: cannot log in: {reason(exc)}") from exc
        except (ftplib.Error, OSError, EOFError) as exc:
            quietly_close(ftp)
            raise SourceError(f"{self.label}: cannot connect: {reason(exc)}") from exc
        return ftp

    def close(self) -> None:
        """Say QUIT and close the control connection."""
        ftp, self._ftp = self._ftp, None
        if ftp is not None:
            with suppress(Exception):
                ftp.quit()
            quietly_close(ftp)

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        """ftplib and socket errors as SourceError (550 = SourceEntryGoneError); a broken
        control connection is dropped."""
        if isinstance(exc, ftplib.error_perm):
            if str(exc).startswith("550"):
                return self.gone(path or "")
            return SourceError(f"{self.label}: cannot {action} {path!r}: {reason(exc)}")
        if not isinstance(exc, ftplib.Error | OSError | EOFError):
            return None
        self._drop()
        return SourceError(f"{self.label}: cannot {action} {path!r}: {reason(exc)}")

    def _drop(self) -> None:
        """Forget a broken control connection (the next call reconnects)."""
        ftp, self._ftp = self._ftp, None
        if ftp is not None:
            quietly_close(ftp)

    # -- listing ----------------------------------------------------------------------------

    def list_entries(self) -> list[RemoteEntry]:
        """Every entry under the root (recursively if configured): one listing a folder."""
        entries: list[RemoteEntry] = []
        self._scan(self.root, "", entries)
        return sorted(entries, key=lambda e: e.path)

    def _scan(self, folder: str, prefix: str, out: list[RemoteEntry]) -> None:
        ftp = self.ftp()
        try:
            with self.translating("list", folder):
                found = self._mlsd_list(ftp, folder) if self._mlsd else self._nlst(ftp, folder)
        except SourceEntryGoneError as exc:
            if not prefix:
                raise SourceError(f"{self.label}: folder {folder} does not exist") from exc
            return
        for name, kind, size, mtime in found:
            rel = f"{prefix}{name}"
            problem = unsafe_reason(name)
            if problem is not None:  # refused and recorded; the listing goes on
                out.append(unsafe_entry(rel, name, problem))
                continue
            if kind == "dir":
                full = posixpath.join(folder, name)
                if self._archive is not None and full == self._archive:
                    continue
                if self.config.recursive:
                    self._scan(full, f"{rel}/", out)
                    continue
            out.append(RemoteEntry(path=rel, name=name, size=size, mtime=mtime, kind=kind))

    def _mlsd_list(self, ftp: ftplib.FTP,
                   folder: str) -> list[tuple[str, EntryKind, int, float]]:
        found: list[tuple[str, EntryKind, int, float]] = []
        for name, facts in mlsd_lines(ftp, folder, _FACTS):
            kind = MLSD_KINDS.get(facts.get("type", "").lower(), "other")
            if facts.get("type", "").lower() in ("cdir", "pdir"):
                continue
            found.append((name, kind, as_int(facts.get("size")),
                          parse_ftp_time(facts["modify"]) if "modify" in facts else 0.0))
        return found

    def _nlst(self, ftp: ftplib.FTP, folder: str) -> list[tuple[str, EntryKind, int, float]]:
        """NLST, then SIZE and MDTM per name (a name SIZE refuses is taken as a folder)."""
        found: list[tuple[str, EntryKind, int, float]] = []
        try:
            names = listing_lines(ftp, f"NLST {folder}")
        except ftplib.error_perm as exc:
            if str(exc).startswith("450") or "No files" in str(exc):
                return found  # some servers answer an empty folder with an error
            raise
        for listed in names:
            name = listed.rsplit("/", 1)[-1] if listed.startswith(folder) else listed
            if name in (".", ".."):
                continue
            if is_unsafe_name(name):
                found.append((name, "unsafe", 0, 0.0))
                continue
            full = posixpath.join(folder, name)
            size, mtime = self._size_mtime(ftp, full)
            found.append((name, "dir" if size is None else "file", size or 0, mtime))
        return found

    def _size_mtime(self, ftp: ftplib.FTP, full: str) -> tuple[int | None, float]:
        try:
            ftp.voidcmd("TYPE I")  # SIZE is refused (or counts CRLFs) in ASCII mode
            size = ftp.size(full)
        except ftplib.error_perm:
            return None, 0.0  # a folder, or gone meanwhile
        mtime = 0.0
        with suppress(ftplib.error_perm):
            mtime = parse_ftp_time(ftp.voidcmd(f"MDTM {full}")[4:])
        return (size if size is not None else 0), mtime

    # -- single entries ---------------------------------------------------------------------

    def stat(self, path: str) -> RemoteEntry:
        """The entry at ``path`` now (MLST, or SIZE + MDTM); SourceEntryGoneError if gone."""
        full = server_path(self.root, path)
        ftp = self.ftp()
        with self.translating("stat", path):
            if self._mlsd:
                kind, size, mtime = mlst(ftp, full)
            else:
                found, mtime = self._size_mtime(ftp, full)
                if found is None:
                    raise SourceEntryGoneError(f"{self.label}: {path!r} is gone or a folder")
                kind, size = "file", found
        return RemoteEntry(path=relative_to_root(self.root, full), name=posixpath.basename(full),
                           size=size, mtime=mtime, kind=kind)

    def open_read(self, path: str) -> AbstractContextManager[BinaryIO]:
        """A binary stream of the file over a passive (and, for ftps, protected) data
        connection; the server's end-of-transfer reply is checked when it closes."""
        return self._open(path)

    @contextmanager
    def _open(self, path: str) -> Iterator[BinaryIO]:
        full = server_path(self.root, path)
        ftp = self.ftp()
        with self.translating("read", path):
            ftp.voidcmd("TYPE I")  # listings switch ftplib to ASCII; bytes must be binary
            conn = ftp.transfercmd(f"RETR {full}")
        stream = conn.makefile("rb")
        try:
            yield cast(BinaryIO, stream)  # a dropped connection ends it early or raises OSError
        except BaseException:
            stream.close()
            close_data(conn)
            self._drop()  # the control connection's state is unknown now
            raise
        stream.close()
        close_data(conn)
        with self.translating("finish reading", path):
            ftp.voidresp()

    def remove(self, path: str) -> None:
        """Delete the file at the source (DELE)."""
        full = server_path(self.root, path)
        ftp = self.ftp()
        with self.translating("delete", path):
            ftp.delete(full)

    def archive(self, path: str, destination: str) -> str:
        """Move the file into ``destination`` (RNFR/RNTO), numbering the name on a clash."""
        full = server_path(self.root, path)
        folder = archive_folder(self.root, destination)
        ftp = self.ftp()
        with self.translating("archive", path):
            self._ensure_folder(ftp, folder)
            target = free_name(folder, posixpath.basename(full), self._exists)
            ftp.rename(full, target)
        return relative_to_root(self.root, target)

    def _exists(self, path: str) -> bool:
        ftp = self.ftp()
        try:
            if self._mlsd:
                mlst(ftp, path)
                return True
            return self._size_mtime(ftp, path)[0] is not None or is_folder(ftp, path)
        except ftplib.error_perm:
            return False

    def _ensure_folder(self, ftp: ftplib.FTP, folder: str) -> None:
        if is_folder(ftp, folder):
            return
        parent = posixpath.dirname(folder)
        if parent and parent != folder:
            self._ensure_folder(ftp, parent)
        try:
            ftp.mkd(folder)
        except ftplib.error_perm:
            if not is_folder(ftp, folder):
                raise
