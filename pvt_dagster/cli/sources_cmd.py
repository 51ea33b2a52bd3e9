"""``pvt sources trust CLIENT/SOURCE``: record an SFTP server's host key in the source's
known_hosts as an explicit, recorded act (the ledger keeps who trusted which key, and when)."""

from __future__ import annotations

import argparse
import getpass

from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.config import SftpSource
from pvt_dagster.errors import UsageError
from pvt_dagster.pipeline import Intake
from pvt_dagster.sources import trust_host_key


def _sftp_source(intake: Intake, qualified: str) -> tuple[str, str, SftpSource]:
    """``client/source`` of the config, which must be an sftp source; UsageError if not."""
    client, sep, name = qualified.partition("/")
    sources = intake.config.clients[client].sources if client in intake.config.clients else {}
    if not sep or name not in sources:
        raise UsageError(f"unknown source {qualified!r} (name it client/source)")
    config = sources[name]
    if not isinstance(config, SftpSource):
        raise UsageError(f"source {qualified} is a {config.kind} source; only sftp sources "
                         "have host keys to trust")
    return client, name, config


def cmd_sources_trust(intake: Intake, args: argparse.Namespace) -> int:
    """Fetch the server's host key, show its fingerprint, record it in known_hosts."""
    client, name, config = _sftp_source(intake, args.source)
    outcome = trust_host_key(config.host, config.port, config.known_hosts,
                             timeout=config.timeout_seconds, replace=args.replace, name=name,
                             expect=args.fingerprint)
    print(f"{outcome.entry} offers host key {outcome.key_type} {outcome.fingerprint}")
    if outcome.status == "already trusted":
        print(f"already trusted in {config.known_hosts}; nothing changed")
        return 0
    intake.ledger.record_operator_action(
        action="trust_host_key", target=f"{client}/{name}", user=getpass.getuser(),
        details={"host": outcome.entry, "key_type": outcome.key_type,
                 "fingerprint": outcome.fingerprint, "previous": outcome.previous,
                 "known_hosts": str(config.known_hosts), "status": outcome.status})
    verb = "replaced the old key" if outcome.status == "replaced" else "recorded"
    print(f"{verb} in {config.known_hosts}; recorded as an operator action "
          f"by {getpass.getuser()}")
    return 0


def register(sub: Subparsers) -> None:
    """Add ``pvt sources trust``."""
    sources = sub.add_parser("sources", help="remote sources: trust an SFTP host key")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True,
                                         metavar="ACTION")
    trust = sources_sub.add_parser(
        "trust", help="record an sftp server's host key in the source's known_hosts")
    trust.add_argument("source", metavar="CLIENT/SOURCE")
    trust.add_argument("--fingerprint", metavar="SHA256:...",
                       help="refuse unless the server's key has this fingerprint")
    trust.add_argument("--replace", action="store_true",
                       help="replace a different key already recorded for the host")
    trust.set_defaults(run=cmd_sources_trust, needs_intake=True)



