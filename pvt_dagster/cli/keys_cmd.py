"""``pvt keys import FILE`` and ``pvt keys list [--json]``: the keystore and which feeds use
each key."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from pvt_dagster.cli.output import iso, print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.decrypt import EXPIRY_WARNING, inventory
from pvt_dagster.pipeline import Intake


def acting_user() -> str:
    """Who runs the command: ``$PVT_USER`` if set, else the login name."""
    try:
        return os.environ.get("PVT_USER") or getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def cmd_keys_import(intake: Intake, args: argparse.Namespace) -> int:
    """Import the keys in a file into the keystore and record who did it."""
    keystore = intake.keystore
    fingerprints = keystore.import_key_file(Path(args.file))
    known = {e.info.fingerprint: e for e in inventory(keystore, intake.config)[0]}
    for fpr in fingerprints:
        entry = known.get(fpr)
        uids = ", ".join(entry.info.uids) if entry else ""
        kind = "secret" if entry and entry.secret else "public"
        print(f"imported {fpr} ({kind}) {uids}".rstrip())
    intake.ledger.record_operator_action(
        action="keys_import", target=str(Path(args.file).name), user=acting_user(),
        details={"fingerprints": fingerprints})
    return 0


def cmd_keys_list(intake: Intake, args: argparse.Namespace) -> int:
    """Every key with its expiry and the feeds that use it; missing keys on stderr."""
    entries, missing = inventory(intake.keystore, intake.config)
    if args.json:
        print_json([e.json() for e in entries])
    else:
        now = datetime.now(UTC)
        rows = []
        for e in entries:
            expires = e.info.expires
            note = ("" if expires is None else " EXPIRED" if expires <= now else
                    " soon" if expires - now <= EXPIRY_WARNING else "")
            uses = [*e.feeds, *(f"{f} (signer)" for f in e.signer_for)]
            rows.append([e.info.fingerprint, "sec" if e.secret else "pub",
                         "; ".join(e.info.uids), (iso(expires) or "never") + note,
                         ", ".join(uses) or "-"])
        print_table(["FINGERPRINT", "TYPE", "USER IDS", "EXPIRES", "FEEDS"], rows)
        print(f"{len(entries)} key(s) in {intake.keystore.gnupghome}")
    for use in missing:
        role = "decryption key" if use.role == "decrypt" else "trusted signer"
        print(f"missing: {use.feed} {role} {use.ident} is not in the keystore", file=sys.stderr)
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt keys import|list``."""
    keys = sub.add_parser("keys", help="import keys or list the keystore")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    imp = keys_sub.add_parser("import", help="import a key file (armored or binary)")
    imp.add_argument("file")
    imp.set_defaults(run=cmd_keys_import, needs_intake=True)
    lst = keys_sub.add_parser("list", help="fingerprints, user ids, expiry and feeds")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(run=cmd_keys_list, needs_intake=True)
