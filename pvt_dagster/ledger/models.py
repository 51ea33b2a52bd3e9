"""The ledger's tables as SQLAlchemy 2 typed ORM classes (migrations live in ``migrations/``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pvt_dagster.ledger.timeutil import UTCDateTime

KEY = String(255)
NAME = String(100)
SHA = String(64)


class Base(DeclarativeBase):
    """Declarative base of the ledger tables."""


class Observation(Base):
    """What polling saw of one entry at one source: size, mtime and how long unchanged."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("client", "source", "path", name="uq_observations_entry"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(NAME)
    source: Mapped[str] = mapped_column(NAME)
    path: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stable_since: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_count: Mapped[int] = mapped_column(Integer)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    file_key: Mapped[str | None] = mapped_column(KEY)


class File(Base):
    """One delivered (or refused) file and where it got to."""

    __tablename__ = "files"
    __table_args__ = (
        Index("ix_files_client_feed", "client", "feed"),
        Index("ix_files_status", "status"),
        Index("ix_files_raw_sha256", "raw_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(KEY, unique=True)
    client: Mapped[str] = mapped_column(NAME)
    feed: Mapped[str | None] = mapped_column(NAME)
    source: Mapped[str] = mapped_column(NAME)
    name: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str | None] = mapped_column(String(20))
    raw_sha256: Mapped[str | None] = mapped_column(SHA)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    vault_path: Mapped[str | None] = mapped_column(Text)
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chain_head: Mapped[str | None] = mapped_column(SHA)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    run_seq: Mapped[int] = mapped_column(Integer, default=0)
    # 0007_stage_outputs: what the later stages read, as typed columns.
    decrypted_sha256: Mapped[str | None] = mapped_column(SHA)
    scrubbed_sha256: Mapped[str | None] = mapped_column(SHA)
    # 0008_faults: re-requests of a stranded file, and its clean-up at the source.
    auto_retries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    source_cleanup: Mapped[str | None] = mapped_column(String(20))
    source_identity: Mapped[str | None] = mapped_column(Text)


class ManifestEvent(Base):
    """One link of a file's append-only, hash-chained manifest."""

    __tablename__ = "manifest_events"
    __table_args__ = (UniqueConstraint("file_id", "seq", name="uq_manifest_events_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(Text)  # 0008_faults: was VARCHAR(50)
    input_sha256: Mapped[str | None] = mapped_column(SHA)
    output_sha256: Mapped[str | None] = mapped_column(SHA)
    bytes: Mapped[int | None] = mapped_column(BigInteger)
    rows: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10))
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(SHA)
    hash: Mapped[str] = mapped_column(SHA)
    # 0003_decrypt_replay: what the stage read and wrote; version 2 hashes cover them.
    input_name: Mapped[str | None] = mapped_column(Text)
    output_name: Mapped[str | None] = mapped_column(Text)
    hash_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class CheckResult(Base):
    """The result of one rule on one file in one run (validated or scrubbed phase)."""

    __tablename__ = "check_results"
    __table_args__ = (
        UniqueConstraint("file_id", "run_id", "phase", "check_name", name="uq_check_results"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    run_id: Mapped[str] = mapped_column(String(100))
    phase: Mapped[str] = mapped_column(String(20))
    check_name: Mapped[str] = mapped_column(Text)  # 0011: was VARCHAR(200)
    rule: Mapped[str] = mapped_column(String(50))
    column: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool] = mapped_column(Boolean)
    failures: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[list[int]] = mapped_column(JSON, default=list)
    samples: Mapped[list[str]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScrubChange(Base):
    """What one scrub step changed in one column of one file in one run."""

    __tablename__ = "scrub_changes"
    __table_args__ = (
        UniqueConstraint("file_id", "run_id", "column", "step", name="uq_scrub_changes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    run_id: Mapped[str] = mapped_column(String(100))
    column: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(50))
    step: Mapped[int] = mapped_column(Integer)
    rows_changed: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[list[int]] = mapped_column(JSON, default=list)
    samples: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """One message in the outbox, sent by the dispatch sensor."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status", "status"), Index("ix_messages_file", "file_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    client: Mapped[str | None] = mapped_column(NAME)
    feed: Mapped[str | None] = mapped_column(NAME)
    file_key: Mapped[str | None] = mapped_column(KEY)
    stage: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(50))
    severity: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageDigest(Base):
    """One compiled digest email to one recipient: the messages it holds point at it."""

    __tablename__ = "message_digests"
    __table_args__ = (Index("ix_message_digests_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageDelivery(Base):
    """One message on one channel: sent exactly once, with attempts and backoff."""

    __tablename__ = "message_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "channel", name="uq_message_deliveries"),
        Index("ix_message_deliveries_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    channel: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("message_digests.id"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OperatorAction(Base):
    """An act of an operator: release, replay, ingest, trust a host key."""

    __tablename__ = "operator_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(Text)
    user: Mapped[str] = mapped_column(Text)  # 0011: was VARCHAR(200)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Process(Base):
    """A registered process: one stage of one feed (or one source's discovery), from config."""

    __tablename__ = "processes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), unique=True)
    client: Mapped[str] = mapped_column(NAME)
    feed: Mapped[str | None] = mapped_column(NAME)
    stage: Mapped[str] = mapped_column(String(20))
    type: Mapped[str] = mapped_column(String(20))
    tool: Mapped[str] = mapped_column(String(100))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    targets: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_failures: Mapped[int] = mapped_column(Integer, default=3)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessRun(Base):
    """One run of a process: running, completed, failed or on_hold, with its Dagster run id."""

    __tablename__ = "process_runs"
    __table_args__ = (Index("ix_process_runs_process", "process_id", "id"),
                      Index("ix_process_runs_run", "run_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[int] = mapped_column(ForeignKey("processes.id"))
    run_id: Mapped[str] = mapped_column(String(100))
    file_key: Mapped[str | None] = mapped_column(KEY)
    actor: Mapped[str] = mapped_column(Text)  # 0011: was VARCHAR(200)
    status: Mapped[str] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(20))
    error_class: Mapped[str | None] = mapped_column(Text)  # 0011: was VARCHAR(100)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Hold(Base):
    """A feed on hold after repeated operational failures, until an operator releases it."""

    __tablename__ = "holds"
    __table_args__ = (Index("ix_holds_feed", "client", "feed", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(NAME)
    feed: Mapped[str] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by: Mapped[str | None] = mapped_column(Text)  # 0011: was VARCHAR(200)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ErrorEntry(Base):
    """One error of the error registry: class, category, stage, file, run and time."""

    __tablename__ = "errors"
    __table_args__ = (Index("ix_errors_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    client: Mapped[str | None] = mapped_column(NAME)
    feed: Mapped[str | None] = mapped_column(NAME)
    stage: Mapped[str | None] = mapped_column(String(20))
    file_key: Mapped[str | None] = mapped_column(KEY)
    run_id: Mapped[str | None] = mapped_column(String(100))
    error_class: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)


class JobOutput(Base):
    """The last state of one partition of one processing job (0009_processing_jobs)."""

    __tablename__ = "job_outputs"
    __table_args__ = (
        UniqueConstraint("client", "job", "partition", name="uq_job_outputs_partition"),
        Index("ix_job_outputs_day", "client", "job", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(NAME)
    job: Mapped[str] = mapped_column(NAME)
    partition: Mapped[str] = mapped_column(KEY)
    day: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    rows: Mapped[int | None] = mapped_column(BigInteger)
    output: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fingerprint: Mapped[str] = mapped_column(SHA)
    error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushRefusal(Base):
    """One request the upload API (``pvt serve``) refused, with its status and reason. The
    client, user, feed and name are what the request asked for (untrusted text, truncated);
    no password, token or hash is ever stored."""

    __tablename__ = "push_refusals"
    __table_args__ = (Index("ix_push_refusals_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[str | None] = mapped_column(String(100))
    client: Mapped[str | None] = mapped_column(NAME)
    feed: Mapped[str | None] = mapped_column(NAME)
    name: Mapped[str | None] = mapped_column(Text)
