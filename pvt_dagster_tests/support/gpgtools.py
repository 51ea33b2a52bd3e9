"""gpg on the command line for tests: encrypting with a chosen compression and armour, signing,
and keys that have expired or expire soon (made with ``--faked-system-time``). Passphrases go
to gpg on a pipe, never on its command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pvt_dagster.decrypt import Keystore


def _run(args: list[str], passphrase: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run gpg with the passphrase on fd 0 (when given); raise with stderr on failure."""
    if passphrase is not None:
        args = [args[0], "--pinentry-mode", "loopback", "--passphrase-fd", "0", *args[1:]]
    proc = subprocess.run(args, input=(passphrase or "").encode() + b"\n",
                          capture_output=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"gpg failed: {proc.stderr.decode(errors='replace')}")
    return proc


def gpg_encrypt(keystore: Keystore, src: Path, dst: Path, *, recipient: str,
                armor: bool = False, compress: str = "zlib", sign_with: str | None = None,
                passphrase: str | None = None, hidden: bool = False) -> Path:
    """Encrypt ``src`` to ``recipient`` (``compress``: none, zip, zlib or bzip2), optionally
    signed by ``sign_with`` (its passphrase given), optionally as a hidden recipient."""
    args = ["gpg", "--homedir", str(keystore.gnupghome), "--batch", "--yes",
            "--trust-model", "always", "--auto-key-locate", "local", "--compress-algo",
            compress, "-R" if hidden else "-r", recipient, "-o", str(dst)]
    if armor:
        args.append("--armor")
    if sign_with:
        args += ["--local-user", sign_with, "--sign"]
    _run([*args, "--encrypt", str(src)], passphrase if sign_with else None)
    return dst


def gpg_symmetric(keystore: Keystore, src: Path, dst: Path, *, passphrase: str) -> Path:
    """Encrypt ``src`` with a passphrase only (no key)."""
    _run(["gpg", "--homedir", str(keystore.gnupghome), "--batch", "--yes", "-o", str(dst),
          "--symmetric", str(src)], passphrase)
    return dst


def gpg_key_with_expiry(keystore: Keystore, email: str, *, expires_in: timedelta,
                        created: datetime | None = None) -> str:
    """A passphrase-less RSA key that expires ``expires_in`` after ``created`` (default now);
    its fingerprint."""
    created = created or datetime.now(UTC)
    days = max(1, round(expires_in.total_seconds() / 86400))
    proc = _run(["gpg", "--homedir", str(keystore.gnupghome), "--batch", "--status-fd", "1",
                 "--faked-system-time", created.strftime("%Y%m%dT%H%M%S"),
                 "--quick-gen-key", f"Test <{email}>", "rsa2048", "sign,encr", f"{days}d"], "")
    for line in proc.stdout.decode().splitlines():
        if line.startswith("[GNUPG:] KEY_CREATED"):
            return line.split()[3]
    raise AssertionError("gpg created no key")


def expired_key_with_file(keystore: Keystore, email: str, src: Path, dst: Path) -> str:
    """A key that expired last week, with ``src`` encrypted to it (in its lifetime) into
    ``dst``: made in a scratch home with a faked clock, then imported into ``keystore``."""
    created = datetime.now(UTC) - timedelta(days=10)
    scratch = Keystore(Path(tempfile.mkdtemp(prefix="gx", dir="/tmp")))
    try:
        fpr = gpg_key_with_expiry(scratch, email, expires_in=timedelta(days=3), created=created)
        _run(["gpg", "--homedir", str(scratch.gnupghome), "--batch", "--yes",
              "--trust-model", "always", "--auto-key-locate", "local", "--faked-system-time",
              (created + timedelta(hours=1)).strftime("%Y%m%dT%H%M%S"), "-r", fpr,
              "-o", str(dst), "--encrypt", str(src)])
        secret = _run(["gpg", "--homedir", str(scratch.gnupghome), "--batch", "--armor",
                       "--export-secret-keys", fpr], "").stdout
        keystore.import_key_data(secret)
        return fpr
    finally:
        scratch.stop_agent()
        shutil.rmtree(scratch.gnupghome, ignore_errors=True)


def agent_running(gnupghome: Path) -> bool:
    """Whether a gpg-agent answers on this home's socket (without starting one)."""
    proc = subprocess.run(["gpg-connect-agent", "--homedir", str(gnupghome), "--no-autostart",
                           "GETINFO pid", "/bye"], capture_output=True, timeout=30, check=False,
                          env={**os.environ, "LC_ALL": "C"})
    return b"\nOK" in b"\n" + proc.stdout and b"D " in proc.stdout
