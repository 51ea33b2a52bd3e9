"""The process registry: each feed stage, each source's discovery and each processing job is
a process (name, type, tool, sources, targets), derived from config and kept in the ledger."""

from __future__ import annotations

from typing import Any, Final

from pvt_dagster.config import FeedRef, JobRef, PvtConfig, input_label
from pvt_dagster.domain import ProcessStage, Stage
from pvt_dagster.ledger import Ledger

DISCOVER: Final = "discover"
JOB_STAGE: Final = "job"
STAGE_TYPES: dict[ProcessStage, str] = {
    "raw": "extract", "decrypted": "decrypt", "validated": "validate", "scrubbed": "scrub",
    "delivered": "load", DISCOVER: "discover", JOB_STAGE: "transform"}
STAGE_TOOLS: dict[ProcessStage, str] = {
    "decrypted": "gnupg", "validated": "pandera", "scrubbed": "pvt-scrub"}
DEFAULT_MAX_FAILURES = 3


def stage_process_name(client: str, feed: str, stage: Stage) -> str:
    """``client/feed/stage``."""
    return f"{client}/{feed}/{stage}"


def job_process_name(client: str, job: str) -> str:
    """``client/job/job``: one processing job."""
    return f"{client}/{job}/{JOB_STAGE}"


def discovery_process_name(client: str, source: str) -> str:
    """``client/source/discover``: one source's polling."""
    return f"{client}/{source}/{DISCOVER}"


def target_label(client: str, target: Any) -> str:
    """A short description of a delivery target, e.g. ``table:acme__members``."""
    kind = getattr(target, "kind", "?")
    if kind == "daily_csv":
        return f"daily_csv:{target.dir}"
    if kind == "table":
        return f"table:{client}.{target.table}"
    if kind == "s3":
        prefix = target.prefix.strip("/")
        return f"s3://{target.bucket}/{prefix + '/' if prefix else ''}{client}/"
    return str(kind)


def default_fields(client: str, feed: str | None, stage: ProcessStage) -> dict[str, Any]:
    """What is known of a process without its config (used if it was never synced)."""
    return {"client": client, "feed": feed, "stage": stage, "type": STAGE_TYPES.get(stage, stage),
            "tool": STAGE_TOOLS.get(stage, "pvt"), "sources": [], "targets": [],
            "max_failures": DEFAULT_MAX_FAILURES}


def _feed_processes(config: PvtConfig, feed: FeedRef) -> dict[str, dict[str, Any]]:
    c, f = feed.client, feed.name
    source = feed.client_config.sources[feed.config.source]
    origin = f"{source.kind}:{c}/{feed.config.source}"
    plain = feed.config.decrypt == "none"
    io: dict[Stage, tuple[list[str], list[str]]] = {
        "raw": ([origin], ["vault"]),
        "decrypted": (["vault"], ["work/decrypted"]),
        "validated": (["work/decrypted"], ["ledger:check_results"]),
        "scrubbed": (["work/decrypted"], ["work/scrubbed"]),
        "delivered": (["work/scrubbed"], [target_label(c, t) for t in feed.config.deliver])}
    out = {}
    for stage, (sources, targets) in io.items():
        fields = default_fields(c, f, stage)
        fields.update(sources=sources, targets=targets,
                      max_failures=feed.config.max_consecutive_failures
                      or feed.client_config.max_consecutive_failures)
        if stage == "raw":
            fields["tool"] = source.kind
        elif stage == "decrypted" and plain:
            fields["tool"] = "copy"
        elif stage == "delivered":
            fields["tool"] = ",".join(sorted({t.kind for t in feed.config.deliver})) or "none"
        out[stage_process_name(c, f, stage)] = fields
    return out


def job_fields(job: JobRef) -> dict[str, Any]:
    """The registry fields of a job's process (``feed`` holds the job's name: jobs and feeds
    share one namespace per client)."""
    config = job.config
    targets = ([f"dir:{config.dir}"] if config.dir else []) + [
        target_label(job.client, t) for t in config.deliver]
    return {"client": job.client, "feed": job.name, "stage": JOB_STAGE, "type": "transform",
            "tool": config.script[:100], "sources": [input_label(v) for v in config.all_inputs],
            "targets": targets or ["work/jobs"],
            "max_failures": job.client_config.max_consecutive_failures}


def process_specs(config: PvtConfig) -> dict[str, dict[str, Any]]:
    """Every process the config defines, by name."""
    specs: dict[str, dict[str, Any]] = {}
    for client, client_config in config.clients.items():
        for source_name, source in client_config.sources.items():
            fields = default_fields(client, None, DISCOVER)
            fields.update(tool=source.kind, sources=[f"{source.kind}:{client}/{source_name}"],
                          targets=["ledger:observations"],
                          max_failures=client_config.max_consecutive_failures)
            specs[discovery_process_name(client, source_name)] = fields
    for feed in config.feeds():
        specs.update(_feed_processes(config, feed))
    for job in config.jobs():
        specs[job_process_name(job.client, job.name)] = job_fields(job)
    return specs


def sync_registry(ledger: Ledger, config: PvtConfig) -> int:
    """Bring the ledger's process registry in line with the config; rows changed."""
    return ledger.sync_processes(process_specs(config))
