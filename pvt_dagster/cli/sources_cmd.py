"""``pvt sources trust CLIENT/SOURCE``: record an SFTP server's host key in the source's
known_hosts as an explicit, recorded act (the ledger keeps who trusted which key, and when).

The key must be vouched for: ``--fingerprint SHA256:...`` must match it, or an operator at a
terminal confirms the fingerprint shown (y/N). Without a terminal and without
``--fingerprint`` nothing is recorded (exit status 2, the fingerprint is shown)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

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


def _interactive() -> bool:
    """Whether an operator is at a terminal (stdin and stdout are TTYs)."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _confirm(qualified: str, asked: list[str]) -> Callable[[str, str, str], bool]:
    """The confirmation of a new key: a y/N question on a terminal (noted in ``asked``), else
    a UsageError."""
    def confirm(entry: str, key_type: str, fingerprint: str) -> bool:
        if not _interactive():
            raise UsageError(
                f"{entry} offers host key {key_type} {fingerprint}; nothing recorded: without "
                "a terminal to confirm it, check the fingerprint with the server's owner and "
                f"run: pvt sources trust {qualified} --fingerprint {fingerprint}")
        asked.append(fingerprint)
        print(f"{entry} offers host key {key_type} {fingerprint}")
        print("Check this fingerprint with the server's owner before you trust it.")
        try:
            answer = input("Trust this key? [y/N] ")
        except EOFError:
            answer = ""
        return answer.strip().lower() in ("y", "yes")
    return confirm


def cmd_sources_trust(intake: Intake, args: argparse.Namespace) -> int:
    """Fetch the server's host key, show its fingerprint, and record it in known_hosts once
    ``--fingerprint`` matches or the operator confirms it at a terminal."""
    client, name, config = _sftp_source(intake, args.source)
    asked: list[str] = []
    outcome = trust_host_key(config.host, config.port, config.known_hosts,
                             timeout=config.timeout_seconds, replace=args.replace, name=name,
                             expect=args.fingerprint, confirm=_confirm(args.source, asked))
    if not asked:  # the question showed it already
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
                       help="trust the key only if it has this fingerprint (needed "
                            "without a terminal; else you are asked to confirm)")
    trust.add_argument("--replace", action="store_true",
                       help="replace a different key already recorded for the host")
    trust.set_defaults(run=cmd_sources_trust, needs_intake=True)



