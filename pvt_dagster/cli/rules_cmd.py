"""``pvt rules preview`` and ``pvt rules impact``: the current rules tried on a local file, or
re-run over a feed's vault copies and compared with what the ledger recorded. Both work in a
private temporary folder that is deleted afterwards; neither writes to the ledger or a source."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pvt_dagster.cli.output import print_json, print_table
from pvt_dagster.cli.parsing import Subparsers
from pvt_dagster.config import CsvFormat, FeedRef
from pvt_dagster.decrypt import copy_plain, decrypt_or_copy, looks_like_pgp
from pvt_dagster.errors import PvtError, UsageError

if TYPE_CHECKING:
    from pvt_dagster.ledger import FileRecord
    from pvt_dagster.pipeline import Intake
    from pvt_dagster.validation import CheckOutcome

# Validation and scrubbing (pandas, pandera, pyarrow) are imported by the functions that run
# them, so that every other ``pvt`` command starts without them.


@contextmanager
def private_tempdir(prefix: str) -> Iterator[Path]:
    """A 0700 temporary folder, deleted with everything in it afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def preview_copy(intake: Intake, feed: FeedRef, src: Path, dst: Path) -> Path:
    """A local file as the decrypted stage would make it (the same code: the feed's key, its
    limits and its signature rule) into ``dst``; a plain sample for an encrypted feed is
    copied, so rules can be tried on clear test data."""
    if feed.config.decrypt != "none" and not looks_like_pgp(src):
        copy_plain(src, dst)
    else:
        decrypt_or_copy(intake.keystore, feed, src.name, src, dst)
    return dst


def outcome_json(o: CheckOutcome) -> dict[str, Any]:
    """One outcome as JSON (samples are already masked)."""
    data = asdict(o)
    data["check"] = data.pop("check_name")
    return data


def preview(intake: Intake, feed: FeedRef, path: Path) -> dict[str, Any]:
    """Validate, scrub and re-validate a local file in a temporary folder; the whole report."""
    from pvt_dagster.pipeline import unparsed_outcomes
    from pvt_dagster.scrubbing import scrub_file
    from pvt_dagster.validation import planned_checks, validate_file

    with private_tempdir("pvt-preview-") as work:
        plain = preview_copy(intake, feed, path, work / "plain")
        report = validate_file(plain, feed.config)
        out: dict[str, Any] = {"feed": feed.qualified_name, "file": str(path),
                               "rows": report.rows, "parse_error": None, "failed": report.failed,
                               "validated": [], "scrub_changes": [], "scrubbed": []}
        if report.parse_error is not None:
            out["parse_error"] = str(report.parse_error)
            out["validated"] = [outcome_json(o) for o in
                                unparsed_outcomes(planned_checks(feed.config),
                                                  report.parse_error)]
            return out
        out["validated"] = [outcome_json(o) for o in report.outcomes]
        scrubbed = scrub_file(plain, work / "scrubbed.csv", feed.config)
        out["scrub_changes"] = [asdict(c) for c in scrubbed.changes]
        recheck = validate_file(work / "scrubbed.csv", feed.config, fmt=CsvFormat())
        out["scrubbed"] = [outcome_json(o) for o in recheck.outcomes]
        return out


def _print_outcomes(title: str, outcomes: list[dict[str, Any]]) -> None:
    """A table of outcomes."""
    print(f"\n{title}:")
    print_table(["CHECK", "SEVERITY", "RESULT", "FAILURES", "ROWS", "SAMPLES (masked)"], [
        [o["check"], o["severity"], "pass" if o["passed"] else "FAIL", o["failures"],
         ",".join(map(str, o["rows"][:5])), ", ".join(o["samples"][:3])] for o in outcomes])


def cmd_preview(intake: Intake, args: argparse.Namespace) -> int:
    """Print what the feed's rules and scrub actions make of a local file."""
    feed = intake.parse_feed_name(args.feed)
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    result = preview(intake, feed, path)
    if args.json:
        print_json(result)
    else:
        print(f"{result['file']} as {result['feed']}: {result['rows']} rows")
        if result["parse_error"]:
            print(f"cannot be parsed: {result['parse_error']}")
        _print_outcomes("Checks", result["validated"])
        if result["scrub_changes"]:
            print("\nScrub changes:")
            print_table(["COLUMN", "STEP", "ACTION", "CHANGED", "SAMPLES (masked)"], [
                [c["column"], c["step"], c["action"], c["rows_changed"],
                 "; ".join(f"{b} -> {a}" for b, a in c["samples"][:3])]
                for c in result["scrub_changes"]])
        if result["scrubbed"]:
            _print_outcomes("Checks after scrubbing", result["scrubbed"])
        print("\nresult: " + ("FAILED (failure rules found problems)" if result["failed"]
                              else "passed"))
    return 1 if result["failed"] else 0


def _since(text: str | None) -> datetime | None:
    """``--since YYYY-MM-DD`` as midnight UTC."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since takes a date YYYY-MM-DD, not {text!r}") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _state(passed: bool, failures: int) -> dict[str, Any]:
    """One check's result as compared: passed and failures."""
    return {"passed": bool(passed), "failures": int(failures)}


def impact_of(intake: Intake, feed: FeedRef, record: FileRecord, work: Path) -> dict[str, Any]:
    """One file: its recorded validated results against the current rules' results."""
    from pvt_dagster.pipeline import previous_delivered_rows, unparsed_outcomes
    from pvt_dagster.validation import planned_checks, validate_file

    recorded = intake.ledger.check_results(record.key, phase="validated")
    then = {c.check_name: _state(c.passed, c.failures) for c in recorded}
    then_failed = any(c.severity == "failure" and not c.passed for c in recorded)
    plain = work / "plain"
    decrypt_or_copy(intake.keystore, feed, record.name,
                    intake.store.fetch(intake.layout.vault_path(record.key)), plain)
    try:
        report = validate_file(plain, feed.config,
                               previous_rows=previous_delivered_rows(intake.ledger, record))
    finally:
        plain.unlink(missing_ok=True)
    outcomes = report.outcomes
    if report.parse_error is not None:
        outcomes = unparsed_outcomes(planned_checks(feed.config), report.parse_error)
    now = {o.check_name: _state(o.passed, o.failures) for o in outcomes}
    changes = [{"check": name, "then": then.get(name), "now": now.get(name)}
               for name in list(now) + [n for n in then if n not in now]
               if _differs(then.get(name), now.get(name))]
    verdict = ("failed" if then_failed else "passed") if recorded else "not validated"
    return {"key": record.key, "then": verdict,
            "now": "failed" if report.failed else "passed", "changes": changes}


def cmd_impact(intake: Intake, args: argparse.Namespace) -> int:
    """List the feed's vault files whose rule outcomes would change under the current rules."""
    feed = intake.parse_feed_name(args.feed)
    since = _since(args.since)
    records = [r for r in intake.ledger.list_files(client=feed.client, feed=feed.name)
               if r.status != "rejected" and intake.store.present(intake.layout.vault_path(r.key))
               and (since is None or (r.received_at or r.discovered_at) >= since)]
    results: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    with private_tempdir("pvt-impact-") as work:
        for n, record in enumerate(records, start=1):
            print(f"[{n}/{len(records)}] {record.key}", file=sys.stderr, flush=True)
            try:
                results.append(impact_of(intake, feed, record, work))
            except PvtError as exc:
                errors.append({"key": record.key, "error": " ".join(str(exc).split())})
    changed = [r for r in results if r["changes"]]
    if args.json:
        print_json({"feed": feed.qualified_name, "files": len(records), "changed": changed,
                    "errors": errors})
        return 0
    rows = [[r["key"], c["check"], _text(c["then"]), _text(c["now"])]
            for r in changed for c in r["changes"]]
    if rows:
        print_table(["KEY", "CHECK", "THEN", "NOW"], rows)
    for e in errors:
        print(f"{e['key']}: not re-checked: {e['error']}")
    print(f"{len(changed)} of {len(records)} file(s) would change")
    return 0


def _differs(then: dict[str, Any] | None, now: dict[str, Any] | None) -> bool:
    """Whether a check's result changed; a check added or removed counts only if it fails."""
    if then is None or now is None:
        present = then or now
        return present is not None and not present["passed"]
    return then != now


def _text(state: dict[str, Any] | None) -> str:
    """``pass``, ``FAIL (3)`` or ``-`` (the check did not exist)."""
    if state is None:
        return "-"
    return "pass" if state["passed"] else f"FAIL ({state['failures']})"


def register(sub: Subparsers) -> None:
    """Add ``pvt rules preview`` and ``pvt rules impact``."""
    rules = sub.add_parser("rules", help="try the current rules on a file or on past files")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    prev = rules_sub.add_parser("preview", help="validate and scrub a local file (no ledger)")
    prev.add_argument("feed", help="client/feed")
    prev.add_argument("file", help="a local file (decrypted first if it is PGP, as the "
                                   "pipeline would)")
    prev.add_argument("--json", action="store_true")
    prev.set_defaults(run=cmd_preview, needs_intake=True)
    imp = rules_sub.add_parser("impact", help="files whose outcome would change under the "
                                              "current rules")
    imp.add_argument("feed", help="client/feed")
    imp.add_argument("--since", help="only files received on or after this date (YYYY-MM-DD)")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(run=cmd_impact, needs_intake=True)
