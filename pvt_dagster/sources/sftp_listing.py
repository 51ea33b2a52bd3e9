"""One SFTP folder listing that survives names that are not UTF-8.

paramiko's ``listdir_attr`` decodes every name as strict UTF-8, so one such name fails the
whole listing (and leaves the folder handle open). This is the same OPENDIR / READDIR / CLOSE
exchange with names decoded with ``surrogateescape``: the bad name comes back as text the
source refuses (``unsafe_reason``) while every other entry is listed as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import paramiko


def listdir_attr(sftp: paramiko.SFTPClient, folder: str) -> list[paramiko.SFTPAttributes]:
    """The entries of ``folder`` (without ``.`` and ``..``), names decoded leniently."""
    from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR
    from paramiko.sftp_attr import SFTPAttributes
    from paramiko.ssh_exception import SSHException

    kind, msg = sftp._request(CMD_OPENDIR, folder)
    if kind != CMD_HANDLE:
        raise SSHException("expected a folder handle")
    handle = msg.get_binary()
    found: list[paramiko.SFTPAttributes] = []
    try:
        while True:
            try:
                kind, msg = sftp._request(CMD_READDIR, handle)
            except EOFError:  # the end of the folder
                break
            if kind != CMD_NAME:
                raise SSHException("expected a name response")
            for _ in range(msg.get_int()):
                name = msg.get_string().decode("utf-8", "surrogateescape")
                longname = msg.get_string().decode("utf-8", "replace")
                attr = SFTPAttributes._from_msg(msg, name, longname)
                if name not in (".", ".."):
                    found.append(attr)
    finally:
        sftp._request(CMD_CLOSE, handle)
    return found
