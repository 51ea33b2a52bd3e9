"""Decrypting a 1 GB file (``PVT_BENCH_DECRYPT_MB`` to change the size): our decrypt (gpg as a
child writing the output under a file-size cap, hashed as it grows, fsynced, limits enforced)
against ``gpg --decrypt -o FILE`` on the same file in the same run. Each side runs in a fresh
process, three times, alternating; the best time counts, and every run's wall and CPU seconds
are printed (CPU seconds do not swing with the machine's load). Memory: the peak RSS of our
Python process and of its gpg child, against gpg's alone."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Ratio, child_env
from pvt_dagster.decrypt import Keystore, generate_key

PASSPHRASE = "bench passphrase"
EMAIL = "bench@pvt.example"

OURS = """
import json, resource, sys, time
from bench.peak import own_peak_mb
from pathlib import Path
from pvt_dagster.decrypt import Keystore, decrypt_file
store = Keystore(Path(sys.argv[1]))
def cpu():
    who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, who))
cpu_before = cpu()
start = time.perf_counter()
got = decrypt_file(store, Path(sys.argv[2]), Path(sys.argv[3]), key=sys.argv[4],
                   passphrase=sys.stdin.readline().rstrip("\\n"))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "bytes": got.bytes, "cpu": cpu() - cpu_before,
                  "self_mb": own_peak_mb(),
                  "gpg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

BASELINE = """
import resource, subprocess, sys, time, json
start = time.perf_counter()
subprocess.run(["gpg", "--homedir", sys.argv[1], "--batch", "--yes", "--pinentry-mode",
                "loopback", "--passphrase-fd", "0", "-o", sys.argv[3], "--decrypt", sys.argv[2]],
               stdin=sys.stdin, check=True, capture_output=False, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - start
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": kids.ru_utime + kids.ru_stime,
                  "gpg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def _child(script: str, *args: str) -> dict[str, float]:
    """Run a measuring script in a fresh interpreter (passphrase on stdin)."""
    proc = subprocess.run([sys.executable, "-c", script, *args], input=PASSPHRASE + "\n",
                          capture_output=True, text=True, check=True, env=child_env())
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _make_input(home: Path, megabytes: int) -> Path:
    """A CSV-like plaintext (compressible, like client files) encrypted to the bench key."""
    plain = home / "plain.csv"
    line = b"000123,123-45-6789,(555) 123-4567,CA,2026-11-23,member name here\n"
    block = os.urandom(1024 * 1024 // 2).hex().encode()  # half random: ratio ~2:1
    with open(plain, "wb") as out:
        for i in range(megabytes):
            out.write(block if i % 2 else (line * (len(block) // len(line) + 1))[:len(block)])
    enc = home / "plain.csv.pgp"
    subprocess.run(["gpg", "--homedir", str(home), "--batch", "--yes", "--trust-model",
                    "always", "-r", EMAIL, "-o", str(enc), "--encrypt", str(plain)], check=True)
    plain.unlink()
    return enc


def run() -> list[Ratio]:
    """Throughput and peak memory of our decrypt against plain ``gpg --decrypt``."""
    megabytes = int(os.environ.get("PVT_BENCH_DECRYPT_MB", "1024"))
    home = Path(tempfile.mkdtemp(prefix="gb", dir="/tmp"))
    store = Keystore(home)
    try:
        generate_key(store, name="Bench", email=EMAIL, passphrase=PASSPHRASE)
        enc = _make_input(home, megabytes)
        out = home / "out"
        ours: list[dict[str, float]] = []
        base: list[dict[str, float]] = []
        _child(BASELINE, str(home), str(enc), str(out))  # warm the agent and the page cache
        for _ in range(3):
            out.unlink(missing_ok=True)
            base.append(_child(BASELINE, str(home), str(enc), str(out)))
            out.unlink(missing_ok=True)
            ours.append(_child(OURS, str(home), str(enc), str(out), EMAIL))
        size_mb = ours[0]["bytes"] / 1e6
        ours_mbps = size_mb / min(r["seconds"] for r in ours)
        base_mbps = size_mb / min(r["seconds"] for r in base)
        ours_peak = max(r["self_mb"] + r["gpg_mb"] for r in ours)
        base_peak = max(r["gpg_mb"] for r in base)
        print(f"decrypted {size_mb:,.0f} MB (encrypted {enc.stat().st_size / 1e6:,.0f} MB); "
              f"our Python process peak {max(r['self_mb'] for r in ours):.0f} MB, its gpg "
              f"{max(r['gpg_mb'] for r in ours):.0f} MB; CPU seconds ours "
              + ", ".join(f"{r['cpu']:.2f}" for r in ours) + ", gpg alone "
              + ", ".join(f"{r['cpu']:.2f}" for r in base) + "; wall seconds ours "
              + ", ".join(f"{r['seconds']:.2f}" for r in ours) + ", gpg alone "
              + ", ".join(f"{r['seconds']:.2f}" for r in base), flush=True)
        return [
            Ratio("decrypt throughput", ours_mbps, base_mbps, "MB/s", ">= 0.9"),
            Ratio("decrypt peak memory (python + gpg)", ours_peak, base_peak, "MB",
                  "ours < 200 MB"),
        ]
    finally:
        store.stop_agent()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    started = time.perf_counter()
    for ratio in run():
        print(ratio.line())
    print(f"({time.perf_counter() - started:.0f} s; peak RSS of this runner "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
