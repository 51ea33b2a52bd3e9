"""Check results and scrub changes: recorded per run, idempotently; read for the latest run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pvt_dagster.domain import (
    RULE_SEVERITIES,
    Phase,
    RuleSeverity,
    Status,
    as_phase,
    as_rule_severity,
)
from pvt_dagster.ledger.engine import LedgerBase
from pvt_dagster.ledger.files import file_row, where_files
from pvt_dagster.ledger.models import CheckResult, File, ScrubChange
from pvt_dagster.ledger.records import (
    PHASES,
    CheckResultInput,
    CheckResultRecord,
    ScrubChangeInput,
    ScrubChangeRecord,
)
from pvt_dagster.ledger.timeutil import utcnow

#: Per severity, how many rules found something.
Counts = dict[RuleSeverity, int]


def _latest_run(rows: Iterable[Any]) -> str | None:
    """The run_id of the most recently recorded row (ties broken by id)."""
    best = max(rows, key=lambda r: (r.recorded_at, r.id), default=None)
    return best.run_id if best is not None else None


def _count_latest(rows_by_key: dict[str, list[Any]], counts: dict[str, Counts]) -> None:
    """Add to ``counts`` each file's rules of its latest run that found something."""
    for key, rows in rows_by_key.items():
        latest = _latest_run(rows)
        found = counts.setdefault(key, dict.fromkeys(RULE_SEVERITIES, 0))
        for row in rows:
            if row.run_id == latest and (not row.passed or row.failures > 0):
                severity = as_rule_severity(row.severity)
                found[severity] = found.get(severity, 0) + 1


def _check_record(row: CheckResult, key: str) -> CheckResultRecord:
    return CheckResultRecord(
        file_key=key, run_id=row.run_id, phase=as_phase(row.phase), check_name=row.check_name,
        rule=row.rule, column=row.column, severity=as_rule_severity(row.severity),
        passed=row.passed,
        failures=row.failures, rows=list(row.rows or []), samples=list(row.samples or []),
        message=row.message, recorded_at=row.recorded_at,
    )


def _scrub_record(row: ScrubChange, key: str) -> ScrubChangeRecord:
    return ScrubChangeRecord(
        file_key=key, run_id=row.run_id, column=row.column, action=row.action, step=row.step,
        rows_changed=row.rows_changed, rows=list(row.rows or []),
        samples=[(str(a), str(b)) for a, b in (row.samples or [])], recorded_at=row.recorded_at,
    )


class ChecksMixin(LedgerBase):
    """Rule results and scrub audits."""

    def record_check_results(
        self, key: str, *, run_id: str, phase: Phase, results: Sequence[CheckResultInput]
    ) -> None:
        """Record a run's rule results; recording the same run again updates, never doubles."""
        if phase not in PHASES:
            raise ValueError(f"phase is 'validated' or 'scrubbed', not {phase!r}")
        for result in results:
            as_rule_severity(result.severity)  # callers outside mypy's reach may pass anything
        for attempt in range(3):
            try:
                with self._write() as session:
                    file_id = file_row(session, key).id
                    stmt = select(CheckResult).where(CheckResult.file_id == file_id,
                                                     CheckResult.run_id == run_id,
                                                     CheckResult.phase == phase)
                    existing = {r.check_name: r for r in session.scalars(stmt)}
                    now = utcnow()
                    for result in results:
                        row = existing.get(result.check_name)
                        if row is None:
                            row = CheckResult(file_id=file_id, run_id=run_id, phase=phase,
                                              check_name=result.check_name)
                            session.add(row)
                            existing[result.check_name] = row
                        row.rule, row.column = result.rule, result.column
                        row.severity, row.passed = result.severity, bool(result.passed)
                        row.failures = int(result.failures)
                        row.rows = [int(n) for n in result.rows]
                        row.samples = [str(s) for s in result.samples]
                        row.message, row.recorded_at = result.message, now
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def check_results(self, key: str, *, phase: Phase | None = None
                      ) -> list[CheckResultRecord]:
        """The results of the latest run of each phase (or of one phase)."""
        with self._read() as session:
            stmt = select(CheckResult).where(CheckResult.file_id == file_row(session, key).id)
            if phase is not None:
                stmt = stmt.where(CheckResult.phase == phase)
            by_phase: dict[str, list[CheckResult]] = defaultdict(list)
            for row in session.scalars(stmt.order_by(CheckResult.id)):
                by_phase[row.phase].append(row)
            out: list[CheckResult] = []
            for name in sorted(by_phase, key=lambda p: (p != "validated", p)):
                latest = _latest_run(by_phase[name])
                out += [r for r in by_phase[name] if r.run_id == latest]
            return [_check_record(r, key) for r in out]

    def check_counts(self, keys: Iterable[str] | None = None) -> dict[str, Counts]:
        """Per file: rules of the latest validated run that found something, by severity."""
        stmt = (select(File.key, CheckResult.id, CheckResult.run_id, CheckResult.recorded_at,
                       CheckResult.severity, CheckResult.passed, CheckResult.failures)
                .join(File, File.id == CheckResult.file_id)
                .where(CheckResult.phase == "validated"))
        wanted = None if keys is None else sorted(set(keys))
        rows_by_key: dict[str, list[Any]] = defaultdict(list)
        with self._read() as session:
            if wanted is None:
                wanted = list(session.scalars(select(File.key)))
                batches = [stmt]
            else:
                batches = [stmt.where(File.key.in_(wanted[i:i + 500]))
                           for i in range(0, len(wanted), 500)]
            for batch in batches:
                for row in session.execute(batch):
                    rows_by_key[row.key].append(row)
        counts: dict[str, Counts] = {k: dict.fromkeys(RULE_SEVERITIES, 0) for k in wanted}
        _count_latest(rows_by_key, counts)
        return counts

    def record_scrub_changes(
        self, key: str, *, run_id: str, changes: Sequence[ScrubChangeInput]
    ) -> None:
        """Record a run's scrub changes; recording the same run again updates, never doubles."""
        for attempt in range(3):
            try:
                with self._write() as session:
                    file_id = file_row(session, key).id
                    stmt = select(ScrubChange).where(ScrubChange.file_id == file_id,
                                                     ScrubChange.run_id == run_id)
                    existing = {(r.column, r.step): r for r in session.scalars(stmt)}
                    now: datetime = utcnow()
                    for change in changes:
                        row = existing.get((change.column, change.step))
                        if row is None:
                            row = ScrubChange(file_id=file_id, run_id=run_id,
                                              column=change.column, step=change.step)
                            session.add(row)
                            existing[(change.column, change.step)] = row
                        row.action, row.rows_changed = change.action, int(change.rows_changed)
                        row.rows = [int(n) for n in change.rows]
                        row.samples = [[str(a), str(b)] for a, b in change.samples]
                        row.recorded_at = now
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def scrub_changes(self, key: str) -> list[ScrubChangeRecord]:
        """The scrub changes of the file's latest scrub run, in step order."""
        with self._read() as session:
            stmt = select(ScrubChange).where(ScrubChange.file_id == file_row(session, key).id)
            rows = list(session.scalars(stmt))
            latest = _latest_run(rows)
            chosen = sorted((r for r in rows if r.run_id == latest),
                            key=lambda r: (r.step, r.column))
            return [_scrub_record(r, key) for r in chosen]

    def check_counts_where(
        self, *, client: str | None = None, feed: str | None = None,
        status: Status | Collection[Status] | None = None,
    ) -> dict[str, Counts]:
        """``check_counts`` of the files matching every filter given, in one query (files with
        no validated results are absent: callers default them to zero counts)."""
        stmt = (select(File.key, CheckResult.id, CheckResult.run_id, CheckResult.recorded_at,
                       CheckResult.severity, CheckResult.passed, CheckResult.failures)
                .join(File, File.id == CheckResult.file_id)
                .where(CheckResult.phase == "validated"))
        stmt = where_files(stmt, client=client, feed=feed, status=status)
        rows_by_key: dict[str, list[Any]] = defaultdict(list)
        with self._read() as session:
            for row in session.execute(stmt):
                rows_by_key[row.key].append(row)
        counts: dict[str, Counts] = {}
        _count_latest(rows_by_key, counts)
        return counts
