"""``pvt demo``: a demo config (a members feed, a chain of two processing jobs after it, a
push source for uploads, a claims feed whose arrival SLA is missed, and a retention block), a
key pair, three PGP-encrypted member files (one clean, one with warnings only, one with a
failing rule), a Salesforce token and a TLS certificate for the demo's local stand-ins, and a
push user (password and hash) and token for its upload API, written once into a folder. All
data is made up."""

from __future__ import annotations

import csv
import os
import random
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pvt_dagster.config import load_config
from pvt_dagster.decrypt import Keystore, encrypt_file, generate_key
from pvt_dagster.demo.tls import self_signed, valid_for
from pvt_dagster.fsutil import ensure_private_dir, write_private_text
from pvt_dagster.ledger import Ledger
from pvt_dagster.pipeline import HomeLayout
from pvt_dagster.push import hash_password

DEMO_KEY_EMAIL = "members@acme.example"
COLUMNS = ["member_id", "first_name", "last_name", "ssn", "phone", "state", "email"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "June", "Kai", "Lia"]
LAST = ["Park", "Okafor", "Silva", "Nguyen", "Muller", "Rossi", "Haddad", "Kowalski", "Ito"]
STATES = ["CA", "NY", "TX", "WA", "IL", "MA", "CO", "GA", "NC", "DC"]
#: Where the demo keeps its Salesforce session token and the stand-in's certificate.
SF_TOKEN = Path("secrets") / "salesforce.token"
#: The demo's push user (its password, and the argon2 hash the config reads) and token user.
PUSH_USER = "acme_uploader"
PUSH_PASSWORD = Path("secrets") / "push_user.password"
PUSH_HASH = Path("secrets") / "push_user.hash"
PUSH_TOKEN = Path("secrets") / "push.token"
TLS_DIR = Path("tls")
CERT_DAYS = 825

DEMO_CONFIG = """\
# PVT Intake demo (written by `pvt demo`). One client with a local drop folder and its
# PGP-encrypted feed, and an upload area (push) with a plain-CSV feed. Drop more files into
# inbox/, or send them with `pvt upload`, and watch them in the Dagster UI.
home: ${PVT_HOME:-home}
timezone: UTC
# `pvt serve`, the upload API (`pvt demo run` starts it): clients send files with
# `pvt upload --url https://127.0.0.1:3444/v1/acme ... FILE`.
push:
  host: 127.0.0.1
  port: ${PVT_DEMO_PUSH_PORT:-3444}
  tls: {cert: tls/cert.pem, key: tls/key.pem}   # the demo's self-signed certificate
notify:
  ui_base_url: http://127.0.0.1:${PORT:-3000}
  # `pvt demo run` (`make demo`) starts both stand-ins on 127.0.0.1: every email lands in
  # mail/ (one .eml file each), every Salesforce Case in salesforce/ (one JSON file each).
  email:
    host: 127.0.0.1
    port: ${PVT_DEMO_SMTP_PORT:-3025}
    sender: pvt@acme.example
    security: none
    timeout_seconds: 10
  salesforce:
    instance_url: https://127.0.0.1:${PVT_DEMO_SF_PORT:-3443}
    session_id: {file: secrets/salesforce.token}
    ca_bundle: tls/cert.pem               # the stand-in's self-signed certificate
    fields: {Origin: PVT Intake demo}
    timeout_seconds: 10
  routes:
    - match: {severity: failure}
      send: [email:ops@acme.example, salesforce]
    - match: {severity: warning}
      send: [digest:ops@acme.example]
  digest_minutes: 1
  dispatch_seconds: 10
  retry: {initial_seconds: 10, max_seconds: 120}
clients:
  acme:
    sources:
      dropbox:
        kind: local
        path: inbox
        after_transfer: archive:../archive   # .demo/archive, once the vault copy is verified
        unmatched: report
      uploads:
        kind: push                    # what `pvt upload` sends lands in home/push/acme/uploads
        after_transfer: delete        # whole files only: taken at once, no waiting to settle
    push:
      users:
        acme_uploader: {password_hash: {file: secrets/push_user.hash}}   # `pvt push hash`
        acme_robot: {token: {file: secrets/push.token}}                   # a bearer token
    polling: {interval_seconds: 5, quiesce_seconds: 4}
    # Retention (`pvt purge`, and the daily pvt__purge schedule): how long final files keep
    # their vault copy, work files and daily CSVs; null keeps them. Running, held and failed
    # files are never touched. Preview: `pvt purge --dry-run --as-of 2027-03-01`.
    retention: {vault_days: 90, work_days: 14, outputs_days: 365}
    feeds:
      members:
        source: dropbox
        pattern: "members_*.csv.pgp"
        decrypt: {key: members@acme.example, passphrase: {file: secrets/members.passphrase}}
        format: {type: csv, delimiter: ",", encoding: utf-8}
        columns: &member_columns
          member_id:
            required: true
            pii: false
            scrub: [{pad_left: {width: 10, fill: "0"}}]
          first_name: {required: true}
          last_name: {required: true}
          ssn:
            required: true
            checks: [{rule: pattern, pattern: ssn, severity: failure}]
            scrub: [strip_hyphens]
          phone:
            checks: [{rule: pattern, pattern: us_phone, severity: warning}]
            scrub: [digits_only]
          state:
            pii: false                  # a state is not PII: samples show it in clear
            checks: [{rule: in_list, values: us_states, severity: warning}]
            scrub: [trim, upper]
          email:
            checks: [{rule: pattern, pattern: email, severity: information}]
            scrub: [trim, lower]
        deliver:
          - {kind: daily_csv, dir: out/acme}
      roster:                         # the same member rows, uploaded as plain CSV over TLS
        source: uploads
        pattern: "roster_*.csv"
        decrypt: none
        constraints: {max_bytes: 50MB}
        columns: *member_columns
        deliver:
          - {kind: daily_csv, dir: out/acme}
      claims:                         # never gets a file in the demo: its SLA is missed
        source: dropbox
        pattern: "claims_*.csv"
        decrypt: none
        # Arrival SLA: a file by 00:01 (timezone above) every day, or an sla_missed message
        # (severity failure: an email and a Case) and a failed freshness check in the UI.
        expect: {by: "00:01", days: [mon, tue, wed, thu, fri, sat, sun]}
        columns: {claim_id: {required: true, pii: false}}
        deliver:
          - {kind: daily_csv, dir: out/acme}
    # Processing jobs (README "Processing jobs"): derived datasets built from delivered rows.
    # Each runs on its own when its input changes; `pvt jobs` shows their statuses.
    jobs:
      members_stamped:                    # every delivered members file, stamped
        script: builtin:add_timestamp
        input: members
        options: {column: time_started}
      members_by_state:                   # one CSV per state and day: out/acme/by_state/
        script: builtin:split_by
        input: members_stamped
        partition: daily
        options: {column: state}
        dir: out/acme/by_state
        columns: {member_id: {dtype: string, non_null: true}, time_started: {dtype: string}}
"""


@dataclass(frozen=True)
class DemoFile:
    """One demo file: its name and what is wrong with it."""

    name: str
    kind: str  # clean | warnings | failing


DEMO_FILES = [
    DemoFile("members_2026-11-23_clean.csv.pgp", "clean"),
    DemoFile("members_2026-11-23_warnings.csv.pgp", "warnings"),
    DemoFile("members_2026-11-23_failing.csv.pgp", "failing"),
]


def fake_ssn(rng: random.Random) -> str:
    """A made-up SSN in a valid format (area 001-665, group 01-99, serial 0001-9999)."""
    return f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def member_rows(kind: str, count: int, seed: int) -> list[list[str]]:
    """Made-up member rows; ``warnings`` breaks phones and states, ``failing`` breaks SSNs."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        phone = f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        row = [str(1000 + i), first, last, fake_ssn(rng), phone, rng.choice(STATES),
               f"{first}.{last}{i}@example.org"]
        if kind == "warnings" and i % 4 == 1:
            row[4], row[5] = "555-01", "XX"
        elif kind == "warnings" and i % 4 == 3:
            row[5] = f" {row[5].lower()} "  # a warning now, fixed by the scrubber (trim, upper)
            row[6] = f" {first}.{last}{i}@Example.ORG "
        if kind == "failing" and i % 5 == 2:
            row[3] = "000-12-345"
        rows.append(row)
    return rows


def write_demo(target: Path) -> list[str]:
    """Write the demo into ``target`` once (idempotent); returns what was done."""
    done: list[str] = []
    target.mkdir(parents=True, exist_ok=True)
    config_path = target / "pvt.yaml"
    if not config_path.exists():
        config_path.write_text(DEMO_CONFIG, encoding="utf-8")
        done.append(f"wrote {config_path}")
    secret = target / "secrets" / "members.passphrase"
    if _write_secret(secret):
        done.append(f"wrote a passphrase to {secret}")
    if _write_secret(target / SF_TOKEN):
        done.append(f"wrote the Salesforce stand-in's session token to {target / SF_TOKEN}")
    if _write_secret(target / PUSH_PASSWORD) or not (target / PUSH_HASH).exists():
        password = (target / PUSH_PASSWORD).read_text(encoding="utf-8").rstrip("\n")
        write_private_text(target / PUSH_HASH, hash_password(password) + "\n")
        done.append(f"wrote push user {PUSH_USER}'s password to {target / PUSH_PASSWORD} and "
                    f"its hash to {target / PUSH_HASH}")
    if _write_secret(target / PUSH_TOKEN):
        done.append(f"wrote the push token of acme_robot to {target / PUSH_TOKEN}")
    if not valid_for(target / TLS_DIR / "cert.pem", days=7):
        cert, _key = self_signed(target / TLS_DIR, days=CERT_DAYS)
        done.append(f"wrote a self-signed certificate for 127.0.0.1 to {cert}")
    for folder in ("inbox", "archive", "out", "mail", "salesforce"):
        (target / folder).mkdir(exist_ok=True)
    config = load_config(config_path)
    HomeLayout(config.home).ensure_home()
    keystore = Keystore(config.gnupghome)
    if not keystore.has_secret_key(DEMO_KEY_EMAIL):
        generate_key(keystore, name="Acme members feed", email=DEMO_KEY_EMAIL,
                     passphrase=secret.read_text(encoding="utf-8").rstrip("\n"))
        done.append(f"generated the demo key pair {DEMO_KEY_EMAIL} in {config.gnupghome}")
    ledger = Ledger.for_config(config)
    try:
        ledger.upgrade()
    finally:
        ledger.close()
    marker = target / ".seeded"
    if not marker.exists():
        for number, demo_file in enumerate(DEMO_FILES):
            _write_encrypted(keystore, target / "inbox" / demo_file.name,
                             member_rows(demo_file.kind, 24, seed=number))
            done.append(f"dropped {demo_file.name} ({demo_file.kind}) into {target / 'inbox'}")
        marker.write_text("demo files were dropped once; `make demo-reset` starts over\n")
    return done


def _write_secret(path: Path) -> bool:
    """Write a random secret to ``path`` (0600) unless it exists; whether it was written."""
    if path.exists():
        return False
    ensure_private_dir(path.parent)
    write_private_text(path, secrets.token_urlsafe(24) + "\n")
    return True


def _write_encrypted(keystore: Keystore, dst: Path, rows: list[list[str]]) -> None:
    """Write rows as CSV, encrypt them to the demo key, and publish the file atomically."""
    staging = dst.parent.parent / ".staging"  # same file system as the inbox: atomic rename
    ensure_private_dir(staging)
    with tempfile.TemporaryDirectory(prefix="pvt-demo-", dir=staging) as tmp:
        plain, sealed = Path(tmp) / "plain.csv", Path(tmp) / "sealed.pgp"
        with plain.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
        encrypt_file(keystore, plain, sealed, recipient=DEMO_KEY_EMAIL)
        os.replace(sealed, dst)
