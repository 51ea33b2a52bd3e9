"""Config texts shared by the config tests, and a helper that writes them to a folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

# The example of DESIGN.md, adapted to a local source and the supported delivery kind.
EXAMPLE = """\
home: ${PVT_HOME:-.pvt}
timezone: UTC
ledger: {url: null}
keystore: {gnupghome: null}
notify:
  ui_base_url: http://127.0.0.1:3000
  email: {host: 127.0.0.1, port: 25, sender: pvt@example.org, security: none,
          username: null, password: null}
  salesforce: {instance_url: https://x.my.salesforce.com, session_id: {env: PVT_SF_TOKEN},
               object: Case, ca_bundle: null}
  routes:
    - match: {severity: failure}
      send: [email:ops@example.org, salesforce]
    - match: {severity: warning}
      send: [digest:ops@example.org]
  digest_minutes: 60
clients:
  acme:
    constraints: {max_bytes: 2GB, min_bytes: 1, max_files_per_poll: 50}
    max_consecutive_failures: 3
    sources:
      dropbox:
        kind: local
        path: drop/acme
        after_transfer: archive:done/acme
        unmatched: report
    polling: {interval_seconds: 60, quiesce_seconds: 120}
    feeds:
      members:
        source: dropbox
        pattern: "members_*.csv.pgp"
        decrypt: {key: members@acme.example, passphrase: {env: ACME_KEY_PASSPHRASE}}
        constraints: {max_bytes: 500MB}
        format: {type: csv, delimiter: ",", encoding: utf-8}
        columns:
          ssn:
            required: true
            checks: [{rule: pattern, pattern: ssn, severity: failure}]
            scrub: [strip_hyphens]
          phone:
            checks: [{rule: pattern, pattern: us_phone, severity: warning}]
            scrub: [digits_only]
          state:
            checks: [{rule: in_list, values: us_states, severity: warning}]
          member_id:
            pii: false
            scrub: [{pad_left: {width: 10, fill: "0"}}]
        deliver:
          - {kind: daily_csv, dir: out/acme}
"""

# A minimal valid client; tests append to or edit it. Line numbers are asserted against it.
MINIMAL = """\
clients:
  acme:
    sources:
      dropbox:
        kind: local
        path: inbox
        after_transfer: delete
    feeds:
      members:
        source: dropbox
        pattern: "members_*.csv"
        decrypt: none
        deliver:
          - {kind: daily_csv, dir: out}
"""


def write_config(folder: Path, text: str, name: str = "pvt.yaml") -> Path:
    """Write ``text`` (dedented) as a config file in ``folder`` and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path
