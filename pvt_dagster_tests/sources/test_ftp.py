"""The ftp and ftps sources against pyftpdlib on 127.0.0.1: MLSD listing, the NLST + SIZE +
MDTM fallback of servers without MLSD, binary transfers, archive and delete, FTPS with the
certificate verified (an untrusted one refused), bad credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from pvt_dagster.config.models import FtpSource, SecretRef
from pvt_dagster.errors import ServerIdentityError, SourceAuthError, SourceEntryGoneError
from pvt_dagster.sources.ftp import FtpFolderSource
from pvt_dagster.transport import receive
from pvt_dagster_tests.support.servers.ftpd import USER, FtpServer, make_certificate

DATA = b"a,b\r\n1,2\n" * 50_000  # CRLFs and LFs: an ASCII-mode transfer would change them


def source(server: FtpServer, **changes: object) -> FtpFolderSource:
    """An ftp(s) source on the test server."""
    fields: dict[str, object] = dict(
        kind="ftps" if server.tls else "ftp", host="127.0.0.1", port=server.port,
        username=USER, password=SecretRef(env="PVT_TEST_FTP_PASSWORD"), path="/",
        after_transfer="archive:done", recursive=True, timeout_seconds=10,
        ca_bundle=server.cert)
    fields.update(changes)
    return FtpFolderSource("drop", FtpSource(**fields))  # type: ignore[arg-type]


def exercise(server: FtpServer, tmp_path: Path) -> None:
    """List, stat, receive (byte-exact), archive (numbered on a clash) and delete."""
    server.put("a.csv", DATA, mtime=1_700_000_000)
    server.put("sub/b.csv", b"beta")
    server.put("done/a.csv", b"earlier")
    src = source(server)
    try:
        entries = {e.path: e for e in src.list_entries()}
        assert set(entries) == {"a.csv", "sub/b.csv"}  # the archive folder is skipped
        assert (entries["a.csv"].size, entries["a.csv"].mtime) == (len(DATA), 1_700_000_000)
        assert src.stat("a.csv") == entries["a.csv"]
        received = receive(src, entries["a.csv"], tmp_path / "vault" / "a.csv")
        assert (tmp_path / "vault" / "a.csv").read_bytes() == DATA
        assert received.bytes == len(DATA)
        assert src.archive("a.csv", "done") == "done/a-2.csv"
        src.remove("sub/b.csv")
        with pytest.raises(SourceEntryGoneError):
            src.stat("sub/b.csv")
    finally:
        src.close()
    assert (server.root / "done" / "a.csv").read_bytes() == b"earlier"
    assert (server.root / "done" / "a-2.csv").read_bytes() == DATA


def test_ftp_with_mlsd(ftpd: FtpServer, tmp_path: Path) -> None:
    exercise(ftpd, tmp_path)


def test_ftp_without_mlsd_falls_back_to_nlst_size_mdtm(ftpd_no_mlsd: FtpServer,
                                                       tmp_path: Path) -> None:
    exercise(ftpd_no_mlsd, tmp_path)


def test_ftps_verifies_the_certificate_and_protects_data(ftpsd: FtpServer,
                                                         tmp_path: Path) -> None:
    exercise(ftpsd, tmp_path)


def test_ftps_refuses_an_untrusted_certificate(ftpsd: FtpServer, tmp_path: Path) -> None:
    other_ca, _ = make_certificate(tmp_path, cn="other.example")
    with pytest.raises(ServerIdentityError, match="TLS certificate does not verify"):
        source(ftpsd, ca_bundle=other_ca).list_entries()


def test_bad_credentials_are_refused_clearly(ftpd: FtpServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRONG_PW", "nope")
    with pytest.raises(SourceAuthError, match="refused the credentials of user 'pvtftp'"):
        source(ftpd, password=SecretRef(env="WRONG_PW")).list_entries()
