"""What the remote sources (sftp, ftp, ftps) share: paths on the server built only from checked
relative paths, untrusted listed names, archive folders, FTP times."""

from __future__ import annotations

import posixpath
from datetime import UTC, datetime

from pvt_dagster.errors import SourceError
from pvt_dagster.sources.base import unsafe_reason
from pvt_dagster.sources.local import split_relative


def is_unsafe_name(name: str) -> bool:
    """Whether a listed name cannot be a path part: empty, ``.``, ``..``, a ``/``, a NUL, a
    control character or bytes that are not UTF-8 (``unsafe_reason`` says which)."""
    return unsafe_reason(name) is not None


def server_root(path: str) -> str:
    """The source's root on the server, normalised (``/`` when empty)."""
    return posixpath.normpath(path or "/") if path else "/"


def server_path(root: str, relative: str) -> str:
    """The server path of a relative source path; SourceError for absolute paths or ``..``."""
    return posixpath.join(root, *split_relative(relative))


def archive_folder(root: str, destination: str) -> str:
    """The archive folder on the server: ``destination`` as is if absolute, else under root."""
    if not destination:
        raise SourceError("after_transfer archive: needs a folder")
    return posixpath.normpath(posixpath.join(root, destination))


def relative_to_root(root: str, path: str) -> str:
    """``path`` relative to ``root`` when it is under it, else the absolute path."""
    rel = posixpath.relpath(path, root)
    return path if rel.startswith("..") else rel


def parse_ftp_time(text: str) -> float:
    """Seconds since the epoch of an FTP ``YYYYMMDDHHMMSS[.sss]`` UTC time (MDTM, MLSD)."""
    text = text.strip()
    whole, _, fraction = text.partition(".")
    try:
        moment = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise SourceError(f"unreadable time {text[:30]!r} from the server") from exc
    return moment.timestamp() + (float(f"0.{fraction}") if fraction.isdigit() else 0.0)
