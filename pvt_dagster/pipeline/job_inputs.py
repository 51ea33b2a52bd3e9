"""What a processing job reads, from the ledger and the file system: every input item (a
delivered file of a feed, a partition of another job, a file of a folder) and, grouped by the
job's partitioning, the plan of each partition: its items, the inputs it has nothing of yet,
and the fingerprint that tells whether it must run again. The job's sensor, its run and
``pvt jobs`` all read the same plan."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pvt_dagster.config import FolderInput, JobInput, JobRef, input_label
from pvt_dagster.errors import ProcessingError
from pvt_dagster.ledger import canonical_json, slugify
from pvt_dagster.pipeline.intake import Intake
from pvt_dagster.processing import PRELIMINARY, list_folder, usable_as_input

ItemKind = Literal["feed", "job", "folder"]


@dataclass(frozen=True)
class InputItem:
    """One thing a job reads: where it came from, which partition and day it belongs to,
    where its data is, and a version that changes when it changes."""

    input: str
    kind: ItemKind
    partition: str
    day: str
    path: Path
    version: str
    preliminary: bool = False

    def seen(self) -> dict[str, Any]:
        """What the ledger keeps of it (``inputs`` of a job output)."""
        return {"input": self.input, "partition": self.partition, "version": self.version,
                "preliminary": self.preliminary}


@dataclass(frozen=True)
class PartitionPlan:
    """One partition of a job: its items, and the inputs it has nothing of yet."""

    partition: str
    day: str
    items: tuple[InputItem, ...]
    missing: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every input is there and none of them is preliminary."""
        return not self.missing and not any(i.preliminary for i in self.items)

    def inputs_seen(self) -> list[dict[str, Any]]:
        """The items as the ledger keeps them, then the inputs still missing."""
        return [*(i.seen() for i in self.items),
                *({"input": name, "missing": True} for name in self.missing)]

    @property
    def fingerprint(self) -> str:
        """sha256 over what was seen: equal fingerprints mean nothing changed."""
        return hashlib.sha256(canonical_json({"inputs": self.inputs_seen()}).encode()).hexdigest()


def day_of(moment: datetime, timezone: str) -> str:
    """``YYYY-MM-DD`` of an instant in the config's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def _feed_items(intake: Intake, client: str, feed: str) -> list[InputItem]:
    """Every delivered file of a feed (its scrubbed rows)."""
    items = []
    for record in intake.ledger.list_files(client=client, feed=feed, status="delivered"):
        received = record.received_at or record.discovered_at
        items.append(InputItem(
            input=feed, kind="feed", partition=record.key,
            day=day_of(received, intake.config.timezone),
            path=intake.layout.scrubbed_path(record.key),
            version=record.scrubbed_sha256 or record.updated_at.isoformat()))
    return items


def _job_items(intake: Intake, client: str, job: str) -> list[InputItem]:
    """Every partition of another job that has an output (success or preliminary)."""
    items = []
    for row in intake.ledger.job_outputs(client=client, job=job):
        work = row.details.get("work")
        if not usable_as_input(row.status) or not work or row.day is None:
            continue
        items.append(InputItem(input=job, kind="job", partition=row.partition, day=row.day,
                               path=intake.layout.stored(work), version=row.updated_at.isoformat(),
                               preliminary=row.status == PRELIMINARY))
    return items


def folder_partition(name: str) -> str:
    """The partition of a folder file: the slug of its name."""
    return slugify(name)


def _folder_items(intake: Intake, value: FolderInput) -> list[InputItem]:
    """Every matching file of a folder (its day: its modification time's)."""
    label = input_label(value)
    return [InputItem(input=label, kind="folder", partition=folder_partition(f.path.name),
                      day=day_of(datetime.fromtimestamp(f.mtime_ns / 1e9, UTC),
                                 intake.config.timezone),
                      path=f.path, version=f"{f.size}:{f.mtime_ns}")
            for f in list_folder(value.folder, value.pattern)]


def input_items(intake: Intake, job: JobRef, value: JobInput) -> list[InputItem]:
    """Every item of one input of ``job``."""
    if isinstance(value, FolderInput):
        return _folder_items(intake, value)
    if job.input_is_feed(value):
        return _feed_items(intake, job.client, value)
    return _job_items(intake, job.client, value)


def _group(items: Sequence[InputItem], inputs: list[str], *, by_day: bool,
           ) -> dict[str, PartitionPlan]:
    """Plans keyed by partition (the items' own, or their day)."""
    grouped: dict[str, list[InputItem]] = {}
    for item in items:
        grouped.setdefault(item.day if by_day else item.partition, []).append(item)
    plans = {}
    for partition, members in sorted(grouped.items()):
        present = {i.input for i in members}
        ordered = sorted(members, key=lambda i: (inputs.index(i.input), i.partition))
        plans[partition] = PartitionPlan(
            partition=partition, day=min(i.day for i in members), items=tuple(ordered),
            missing=tuple(name for name in inputs if name not in present))
    return plans


def plan_job(intake: Intake, job: JobRef) -> dict[str, PartitionPlan]:
    """Every partition of ``job`` that has at least one input item."""
    values = job.config.all_inputs
    items = [item for value in values for item in input_items(intake, job, value)]
    return _group(items, [input_label(v) for v in values],
                  by_day=job.config.partition == "daily")


def plan_partition(intake: Intake, job: JobRef, partition: str) -> PartitionPlan:
    """The plan of one partition; ProcessingError when it has no input at all."""
    plans = plan_job(intake, job)
    if partition not in plans:
        raise ProcessingError(f"job {job.qualified_name} has no input for partition "
                              f"{partition} (nothing delivered or produced for it)")
    return plans[partition]
