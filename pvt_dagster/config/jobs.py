"""Processing jobs of a client (``clients.<c>.jobs.<name>``): derived datasets built with pandas
from delivered feeds, other jobs' outputs or plain folders. Pure data and pure checks: the
graph of a client's jobs (unknown inputs, cycles, names shared with feeds) is checked here;
whether a custom script imports is checked above the managers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from pvt_dagster.config.base import Model
from pvt_dagster.config.delivery import DeliveryTarget
from pvt_dagster.config.yamlsource import KeyPath

if TYPE_CHECKING:
    from pvt_dagster.config.models import ClientConfig

BUILTIN_PREFIX = "builtin:"
_CUSTOM = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
OUTPUT_DTYPES = ("string", "float", "int", "bool", "datetime", "any")


class FolderInput(Model):
    """A plain folder as a job's input (the notes' folder pairs): every file matching
    ``pattern`` (a glob on the name, not recursive) is one input file."""

    folder: Path
    pattern: str = "*"


#: A feed or job of the same client by name, or a folder.
JobInput = str | FolderInput


class OutputColumn(Model):
    """One column of a job's output contract: present, of a dtype family, maybe non-null."""

    dtype: Literal["string", "float", "int", "bool", "datetime", "any"] = "any"
    non_null: bool = False


class AddTimestampOptions(Model):
    """``builtin:add_timestamp``: the processing start (UTC ISO 8601) on every row."""

    column: str = "time_started"


class ZscoreOptions(Model):
    """``builtin:zscore``: the mean and standard deviation of ``column`` over the input, and
    each row's z-score in ``to`` (the column itself becomes a number)."""

    column: str
    to: str = "zscore"


class MergeOptions(Model):
    """``builtin:merge``: join the inputs on ``on``; ``earliest`` names a time column that
    ends as the earliest of the sides; other shared columns get each input's suffix (the first
    input keeps its names, the others get ``_<input>``, unless ``suffixes`` says otherwise)."""

    on: str | list[str]
    earliest: str | None = None
    how: Literal["inner", "outer", "left", "right"] = "outer"
    suffixes: list[str] | None = None

    @property
    def keys(self) -> list[str]:
        """The join columns, as a list."""
        return [self.on] if isinstance(self.on, str) else list(self.on)


class SplitByOptions(Model):
    """``builtin:split_by``: one frame (and one daily CSV) per distinct value of ``column``."""

    column: str


#: The built-in scripts and the options each takes.
BUILTIN_OPTIONS: dict[str, type[Model]] = {
    "add_timestamp": AddTimestampOptions,
    "zscore": ZscoreOptions,
    "merge": MergeOptions,
    "split_by": SplitByOptions,
}


class JobConfig(Model):
    """One processing job: a script over one or more inputs, its partitioning, its target
    folder (``<dir>/<job>_<partition>.csv``), delivery targets and output contract."""

    script: str
    input: JobInput | None = None
    inputs: list[JobInput] | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    partition: Literal["per_file", "daily"] = "per_file"
    dir: Path | None = None
    deliver: list[DeliveryTarget] = Field(default_factory=list)
    columns: dict[str, OutputColumn] = Field(default_factory=dict)

    @field_validator("script")
    @classmethod
    def _script(cls, value: str) -> str:
        if value.startswith(BUILTIN_PREFIX):
            name = value.removeprefix(BUILTIN_PREFIX)
            if name not in BUILTIN_OPTIONS:
                known = ", ".join(sorted(BUILTIN_OPTIONS))
                raise ValueError(f"unknown built-in script '{name}' (known: {known})")
        elif not _CUSTOM.match(value):
            raise ValueError(f"script '{value}' is neither builtin:NAME nor "
                             "package.module:function")
        return value

    @model_validator(mode="after")
    def _shape(self) -> JobConfig:
        if self.input is not None and self.inputs is not None:
            raise ValueError("give input or inputs, not both")
        builtin = self.builtin
        if builtin is not None:
            try:
                BUILTIN_OPTIONS[builtin].model_validate(self.options)
            except ValidationError as exc:
                problems = "; ".join(_option_problem(e) for e in exc.errors())
                raise ValueError(f"options of builtin:{builtin}: {problems}") from None
            if builtin == "merge" and len(self.all_inputs) < 2:
                raise ValueError("builtin:merge needs at least two inputs")
            if builtin == "split_by" and self.dir is None:
                raise ValueError("builtin:split_by writes daily CSVs: give it a dir")
        return self

    @property
    def all_inputs(self) -> list[JobInput]:
        """The job's inputs in order (``input`` or ``inputs``)."""
        if self.input is not None:
            return [self.input]
        return list(self.inputs or [])

    @property
    def builtin(self) -> str | None:
        """The built-in script's name, or None for a custom script."""
        return self.script.removeprefix(BUILTIN_PREFIX) if self.script.startswith(
            BUILTIN_PREFIX) else None

    def typed_options(self) -> Model | None:
        """A built-in's options as their model (None for a custom script)."""
        builtin = self.builtin
        return BUILTIN_OPTIONS[builtin].model_validate(self.options) if builtin else None


@dataclass(frozen=True)
class JobRef:
    """A processing job together with its client's name and config."""

    client: str
    name: str
    config: JobConfig
    client_config: ClientConfig

    @property
    def qualified_name(self) -> str:
        """``client/job``, as the command line names it."""
        return f"{self.client}/{self.name}"

    def input_is_feed(self, name: str) -> bool:
        """Whether the input ``name`` is one of the client's feeds (else it is a job)."""
        return name in self.client_config.feeds

    def sibling(self, name: str) -> JobRef:
        """Another job of the same client; KeyError if unknown."""
        return JobRef(client=self.client, name=name, config=self.client_config.jobs[name],
                      client_config=self.client_config)


def _option_problem(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "options"
    if error["type"] == "missing":
        return f"{where} is required"
    if error["type"] == "extra_forbidden":
        return f"unknown option '{where}'"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def input_label(value: JobInput) -> str:
    """How an input is named in messages and the registry: its name or ``folder:PATH``."""
    return value if isinstance(value, str) else f"folder:{value.folder}/{value.pattern}"


def _input_key(job: JobConfig, index: int) -> KeyPath:
    """Where the job's ``index``-th input is written in the YAML."""
    return ("input",) if job.input is not None else ("inputs", index)


def job_graph_issues(feeds: Mapping[str, object],
                     jobs: Mapping[str, JobConfig]) -> list[tuple[KeyPath, str]]:
    """Problems of a client's job graph, each with its key path under the client: a name
    shared with a feed, an input that is neither a feed nor a job, a job fed by nothing, a
    per_file job over inputs of different files, and cycles."""
    issues: list[tuple[KeyPath, str]] = []
    for name, job in jobs.items():
        at: KeyPath = ("jobs", name)
        if name in feeds:
            issues.append((at, f"job {name} has the name of a feed: jobs and feeds of a client "
                               "share one namespace"))
        if not job.all_inputs:
            kind = "a daily job" if job.partition == "daily" else "a job"
            issues.append(((*at, "inputs"), f"{kind} fed by nothing: give it an input (a "
                                            "feed, a job or {folder: PATH, pattern: GLOB})"))
        for index, value in enumerate(job.all_inputs):
            if isinstance(value, str) and value not in feeds and value not in jobs:
                issues.append(((*at, *_input_key(job, index)),
                               f"input '{value}' is neither a feed nor a job of this client"))
            if isinstance(value, str) and value == name:
                issues.append(((*at, *_input_key(job, index)), f"job {name} reads itself"))
    issues += _cycle_issues(jobs)
    if not issues:
        issues += _partitioning_issues(feeds, jobs)
    return issues


def _cycle_issues(jobs: Mapping[str, JobConfig]) -> list[tuple[KeyPath, str]]:
    """One issue per cycle of jobs reading each other (self-reads are reported apart)."""
    issues: list[tuple[KeyPath, str]] = []
    state: dict[str, str] = {}
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for value in jobs[name].all_inputs:
            if not isinstance(value, str) or value not in jobs or value == name:
                continue
            if state.get(value) == "open":
                cycle = [*path[path.index(value):], value]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    issues.append((("jobs", value), "jobs form a cycle: " + " -> ".join(cycle)))
            elif value not in state:
                visit(value, [*path, value])
        state[name] = "done"

    for name in jobs:
        if name not in state:
            visit(name, [name])
    return issues


def partition_root(name: str, feeds: Mapping[str, object],
                   jobs: Mapping[str, JobConfig]) -> str:
    """What a feed's or job's partitions are: ``feed:<name>``, ``folder:<job>`` (a per_file
    job over a folder has its own partitions), or ``daily:<job>``. Needs an acyclic graph."""
    if name in feeds:
        return f"feed:{name}"
    job = jobs[name]
    if job.partition == "daily":
        return f"daily:{name}"
    first = job.all_inputs[0]
    return f"folder:{name}" if isinstance(first, FolderInput) else partition_root(
        first, feeds, jobs)


def _partitioning_issues(feeds: Mapping[str, object],
                         jobs: Mapping[str, JobConfig]) -> list[tuple[KeyPath, str]]:
    """A per_file job's inputs must share one set of files (one feed's, one folder's)."""
    issues: list[tuple[KeyPath, str]] = []
    for name, job in jobs.items():
        if job.partition != "per_file" or len(job.all_inputs) < 2:
            continue
        roots = {("folder" if isinstance(v, FolderInput) else partition_root(v, feeds, jobs))
                 for v in job.all_inputs}
        if len(roots) > 1 or "folder" in roots:
            issues.append((("jobs", name, "partition"),
                           "a per_file job reads inputs of one feed's files; to combine "
                           "different feeds, folders or jobs use partition: daily"))
    return issues
