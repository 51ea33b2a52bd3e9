"""Many small files through the daemon: N small gpg-encrypted CSV files (20 rows each) of one
local-folder feed, dropped at once into the inbox of ``dagster dev`` (as a user runs it, with
the repo's dagster.yaml), timed from the drop until the ledger has them all ``delivered``;
against a bare sequential loop in this process doing the same work (gpg decrypt, pandas read,
the feed's checks and scrubs, CSV append). Also the median time from quiesced (the poll that
saw the file settled) to delivered for a single file dropped alone, from the ledger's
timestamps, once ``dagster dev`` has finished starting. ``PVT_BENCH_SMALL_FILES`` (default
200) files, ``PVT_BENCH_SMALL_SINGLES`` (default 5) single drops,
``PVT_BENCH_SMALL_CONCURRENCY`` (default 1) the feed's ``concurrency``,
``PVT_BENCH_SMALL_BATCH`` (default 50) its ``batch_size`` (1: a run per file)."""

from __future__ import annotations

import io
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from bench.common import Ratio
from pvt_dagster.decrypt import Keystore, encrypt_file, generate_key
from pvt_dagster.pipeline import Intake
from pvt_dagster_tests.support.dagster_dev import running_dagster_dev
from pvt_dagster_tests.support.fixtures import (
    COLUMNS,
    CONFIG,
    FEED_KEY,
    PASSPHRASE,
    PASSPHRASE_ENV,
    csv_bytes,
)

ROWS = 20
WARM_UP_SECONDS = 15
STATES = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
          "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
          "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
          "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"}
SSN = r"^(?!000|666|9)[0-9]{3}(-?)(?!00)[0-9]{2}\1(?!0000)[0-9]{4}$"  # the catalogue's
PHONE = r"^\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}$"


def _rows(seed: int) -> list[list[str]]:
    """Twenty member rows that pass the feed's failure rules."""
    rng = random.Random(seed)
    return [[str(rng.randint(1, 99999)),
             f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
             f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
             rng.choice([" ca", "NY", "tx ", "WA"])] for _ in range(ROWS)]


def _encrypted(keystore: Keystore, stage: Path, count: int, prefix: str) -> list[Path]:
    """``count`` encrypted member files in ``stage`` (outside the inbox)."""
    plain = stage / "plain.csv"
    made = []
    for n in range(count):
        plain.write_bytes(csv_bytes(_rows(n if prefix == "b" else -1 - n), COLUMNS))
        target = stage / f"members_{prefix}{n:05d}.csv.pgp"
        encrypt_file(keystore, plain, target, recipient=FEED_KEY)
        made.append(target)
    plain.unlink()
    return made


def bare_loop(keystore: Keystore, files: list[Path], out: Path) -> None:
    """The baseline: decrypt, read, check, scrub and append each file, one after another."""
    for path in files:
        plain = subprocess.run(
            ["gpg", "--homedir", str(keystore.gnupghome), "--batch", "--yes", "--pinentry-mode",
             "loopback", "--passphrase-fd", "0", "--decrypt", str(path)],
            input=(PASSPHRASE + "\n").encode(), capture_output=True, check=True).stdout
        frame = pd.read_csv(io.BytesIO(plain), dtype=str, keep_default_na=False)
        if frame["ssn"].eq("").any() or not frame["ssn"].str.match(SSN).all():
            raise AssertionError(f"{path.name}: a failure rule failed")
        warnings = (~frame["phone"].str.match(PHONE)).sum() + (~frame["state"].isin(STATES)).sum()
        del warnings  # counted, as the checks are, and not blocking
        frame["member_id"] = frame["member_id"].str.rjust(6, "0")
        frame["ssn"] = frame["ssn"].str.replace("-", "", regex=False)
        frame["phone"] = frame["phone"].str.replace(r"\D", "", regex=True)
        frame["state"] = frame["state"].str.strip().str.upper()
        frame.to_csv(out, mode="a", header=not out.exists(), index=False)


def _delivered_at(intake: Intake) -> dict[str, tuple[str, datetime]]:
    """By file name: each delivered file's key and when it was delivered (its last
    ``delivered`` event)."""
    done = {}
    failed = intake.ledger.list_files(status="failed")
    if failed:
        raise RuntimeError(f"{len(failed)} file(s) failed: {failed[0].error}")
    for record in intake.ledger.list_files(status="delivered"):
        events = [e for e in intake.ledger.events(record.key) if e.stage == "delivered"]
        done[record.name] = (record.key, max(e.finished_at for e in events))
    return done


def _wait_delivered(config: Path, count: int,
                    timeout: float) -> dict[str, tuple[str, datetime]]:
    """Poll the ledger until ``count`` files are delivered; their delivery times."""
    deadline = time.monotonic() + timeout
    while True:
        intake = Intake.from_path(config)
        try:
            done = _delivered_at(intake)
        finally:
            intake.close(stop_agent=False)
        if len(done) >= count:
            return done
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(done)} of {count} files delivered in {timeout:.0f} s")
        time.sleep(0.5)


def _settled_to_delivered(config: Path, key: str, delivered: datetime) -> float:
    """Seconds from the poll that saw a file settled to its delivery (ledger timestamps)."""
    intake = Intake.from_path(config)
    try:
        record = intake.ledger.get_file(key)
        obs = intake.ledger.observation(record.client, record.source, record.path)
        assert obs is not None and obs.seen_count >= 2, obs
        quiesce = intake.config.clients[record.client].polling.quiesce_seconds
        settled = max(obs.last_seen_at, obs.stable_since + timedelta(seconds=quiesce))
    finally:
        intake.close(stop_agent=False)
    return (delivered - settled).total_seconds()


def run() -> list[Ratio]:
    """Files per minute through ``dagster dev`` against the bare loop, and one file's latency."""
    count = int(os.environ.get("PVT_BENCH_SMALL_FILES", "200"))
    singles = int(os.environ.get("PVT_BENCH_SMALL_SINGLES", "5"))
    lanes = int(os.environ.get("PVT_BENCH_SMALL_CONCURRENCY", "1"))
    batch = int(os.environ.get("PVT_BENCH_SMALL_BATCH", "50"))
    root = Path(tempfile.mkdtemp(prefix="pbs", dir="/tmp"))  # short: gpg's socket path
    keystore = Keystore(root / "g")
    os.environ[PASSPHRASE_ENV] = PASSPHRASE
    try:
        generate_key(keystore, name="Feed", email=FEED_KEY, passphrase=PASSPHRASE,
                     algorithm="ed25519")
        stage, inbox = root / "stage", root / "inbox"
        stage.mkdir()
        inbox.mkdir()
        config = root / "pvt.yaml"
        config.write_text(CONFIG.format(
            home=root / "home", gnupghome=keystore.gnupghome, after_transfer="delete",
            feed_key=FEED_KEY, passphrase_env=PASSPHRASE_ENV).replace(
                "        source: drop\n", f"        source: drop\n        concurrency: {lanes}\n"
                                      f"        batch_size: {batch}\n",
                1))
        os.chmod(config, 0o600)
        dropped_files = _encrypted(keystore, stage, count, "b")
        lone = _encrypted(keystore, stage, singles, "s")

        start = time.perf_counter()
        bare_loop(keystore, dropped_files, root / "bare.csv")
        bare_seconds = time.perf_counter() - start

        with running_dagster_dev(config, root) as _dev:
            # A user's dagster dev has long been up: let its daemon, code servers and webserver
            # finish starting (they share the two cores with the first runs otherwise).
            time.sleep(WARM_UP_SECONDS)
            latencies = []
            for n, path in enumerate(lone, start=1):
                path.rename(inbox / path.name)
                key, delivered = _wait_delivered(config, n, timeout=300)[path.name]
                latencies.append(_settled_to_delivered(config, key, delivered))
            dropped = datetime.now(UTC)
            for path in dropped_files:
                path.rename(inbox / path.name)
            done = _wait_delivered(config, singles + count, timeout=300 + count * 30)
            ours_seconds = max((done[p.name][1] - dropped).total_seconds()
                               for p in dropped_files)
        median = statistics.median(latencies) if latencies else float("nan")
        print(f"  {count} files of {ROWS} rows, concurrency {lanes}, batch_size {batch}: "
              "dagster dev "
              f"{ours_seconds:.1f} s "
              f"({count / ours_seconds * 60:.1f} files/min), bare loop {bare_seconds:.1f} s "
              f"({count / bare_seconds * 60:.1f} files/min); single file quiesced->delivered "
              f"median {median:.1f} s over {len(latencies)} "
              f"({', '.join(f'{s:.1f}' for s in latencies)})", flush=True)
        return [Ratio(f"{count} small files (concurrency {lanes}, batch_size {batch}), "
                      "drop->all delivered",
                      ours_seconds, bare_seconds, "s", "<= 2.0 (the bare loop's)"),
                Ratio("single file quiesced->delivered (median)", median, 5.0, "s",
                      "<= 1.0 (5 s)")]
    finally:
        keystore.stop_agent()
        shutil.rmtree(root, ignore_errors=True)
