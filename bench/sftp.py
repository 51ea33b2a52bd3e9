"""SFTP download of a 1 GB file over loopback: the sftp source (paramiko, through
``transport.receive``) against OpenSSH's ``sftp`` client, in the same run, from the same sshd.
Goal: our throughput at least 0.6 of the client's (best of three alternated rounds each, the
disk synced before each). The file lives in a temp dir (deleted)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from functools import partial
from pathlib import Path

from bench.common import Ratio, timed
from pvt_dagster.config import Keep, SecretRef, SftpSource
from pvt_dagster.sources.sftp import SftpFolderSource
from pvt_dagster.transport import receive
from pvt_dagster_tests.support.servers.sshd import REMOTE_ROOT, USER, SshServer, missing_reason

SIZE = int(os.environ.get("PVT_BENCH_SFTP_MB", "1024")) * 1024 * 1024  # smaller to iterate
ROUNDS = 3  # alternated; the best of each side counts


def run() -> list[Ratio]:
    """Alternating rounds each way, after the test file is on disk; the ratio of the best
    throughputs (ours / OpenSSH's sftp)."""
    reason = missing_reason()
    if reason:
        print(f"skipped: {reason}")
        return []
    with tempfile.TemporaryDirectory(prefix="pvt-bench-sftp-") as tmp:
        work = Path(tmp)
        server = SshServer(work)
        try:
            server.start()
            path = server.upload / "big.bin"
            block = os.urandom(16 * 1024 * 1024)
            with path.open("wb") as out:
                for _ in range(SIZE // len(block)):
                    out.write(block)
            server.own(path)
            config = SftpSource(kind="sftp", host="127.0.0.1", port=server.port,
                                username=USER, private_key=SecretRef(file=server.client_key),
                                known_hosts=server.known_hosts, path=REMOTE_ROOT,
                                after_transfer=Keep())
            batch = work / "batch"
            batch.write_text(f"get {REMOTE_ROOT}/big.bin {work / 'client.bin'}\n")
            client = ["sftp", "-q", "-b", str(batch), "-P", str(server.port), "-i",
                      str(server.client_key), "-o", f"UserKnownHostsFile={server.known_hosts}",
                      "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                      f"{USER}@127.0.0.1"]
            ours, theirs, via = [], [], ""
            for _ in range(ROUNDS):
                os.sync()  # no round pays for the writeback of the file or round before it
                source = SftpFolderSource("bench", config)
                try:
                    entry = source.stat("big.bin")
                    ours.append(timed(partial(receive, source, entry,
                                              work / "vault" / "big.bin"))[1])
                    via = source.downloads_via
                finally:
                    source.close()
                (work / "vault" / "big.bin").unlink()
                os.sync()
                theirs.append(timed(lambda: subprocess.run(
                    client, check=True, stdout=subprocess.DEVNULL))[1])
                (work / "client.bin").unlink()
        finally:
            server.close()
    mb = SIZE / 1e6
    print(f"(our download went through {via}: transport.receive, sha256 and fsync included; "
          f"seconds ours {', '.join(f'{s:.2f}' for s in ours)}, "
          f"OpenSSH's sftp {', '.join(f'{s:.2f}' for s in theirs)})")
    return [Ratio("sftp download 1 GB (throughput)", mb / min(ours), mb / min(theirs), "MB/s",
                  ">= 0.6 of OpenSSH's sftp")]
