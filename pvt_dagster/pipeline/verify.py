"""``ledger verify --files``: re-hash the vault copy and the work outputs (decrypted, scrubbed)
of every file against the sha256 its latest successful events recorded (files in the home, or
objects streamed from object storage)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pvt_dagster.domain import Stage
from pvt_dagster.ledger import OutputRecord
from pvt_dagster.pipeline.intake import Intake

LABELS: dict[Stage, str] = {"raw": "vault copy", "decrypted": "decrypted output",
                            "scrubbed": "scrubbed output"}


def output_path(intake: Intake, key: str, output: OutputRecord) -> Path:
    """Where an event's output is: its recorded name (home-relative or absolute), else the
    layout's path for the stage (events written before names were recorded)."""
    if output.name:
        return intake.layout.stored(output.name)
    _, default = intake.layout.stage_io(output.stage, key)
    assert default is not None, f"stage {output.stage} writes no file in the home"
    return default


def purged_outputs(intake: Intake) -> set[tuple[str, Stage]]:
    """(file key, stage) of the vault copies and work outputs deleted under retention since
    they were last written (``pvt purge``): gone on purpose, so not missing."""
    return {(s.key, s.stage) for s in intake.ledger.output_states()
            if s.purged_at is not None and s.stage in LABELS}


def verify_files(intake: Intake, *,
                 progress: Callable[[int, int], None] | None = None) -> tuple[int, list[str]]:
    """(files checked, problems): one line per missing or changed file, naming the file key
    (outputs purged under retention are not looked for)."""
    outputs = intake.ledger.latest_outputs(LABELS)
    purged = purged_outputs(intake)
    problems: list[str] = []
    for done, (key, by_stage) in enumerate(sorted(outputs.items()), start=1):
        for stage in LABELS:
            output = by_stage.get(stage)
            if output is None or (key, stage) in purged:
                continue
            path = output_path(intake, key, output)
            where = intake.layout.relative(path) if intake.store.is_local else (
                intake.store.where(path))
            label = f"file {key}: {LABELS[stage]} {where}"
            digest = intake.store.sha256(path)
            if digest is None:
                if stage == "decrypted" and not intake.config.work.keep_plaintext:
                    continue  # removed once the file was final; decrypted again on replay
                problems.append(f"{label} is missing (pvt replay {key} rebuilds outputs)")
            elif digest != output.sha256:
                problems.append(f"{label} does not match its recorded sha256")
        if progress is not None:
            progress(done, len(outputs))
    return len(outputs), problems
