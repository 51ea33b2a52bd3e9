"""The S3 target: the scrubbed file at ``s3://bucket/prefix/<client>/<feed>/<date>/<key slug>.csv``.

The object name depends only on the file, so a rerun overwrites the same object (never a
second copy). The upload streams from disk (multipart above 8 MB), then the object's size is
checked against the file's. The client comes from ``pvt_dagster.storage.s3_client``
(dagster-aws's S3 resource; ``{env}``/``{file}`` credentials or boto3's default chain)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pvt_dagster.errors import DeliveryError


@dataclass(frozen=True)
class S3Put:
    """The outcome of one S3 delivery."""

    url: str
    rows: int
    bytes: int
    seconds: float


def object_key(prefix: str, client: str, feed: str, day: date, file_key: str) -> str:
    """``prefix/<client>/<feed>/<YYYY-MM-DD>/<key slug>.csv`` (no leading slash)."""
    slug = file_key.rsplit("/", 1)[-1]
    parts = [p for p in prefix.strip("/").split("/") if p]
    return "/".join([*parts, client, feed, day.isoformat(), f"{slug}.csv"])


def _count_rows(src: Path) -> int:
    """Data rows of a CSV with a header (quoted newlines counted right)."""
    import csv

    with open(src, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        return sum(1 for row in reader if row)


def _error(exc: Exception) -> str:
    """One line for a boto error: its code and HTTP status, never request data."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        err = response.get("Error", {})
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return f"{err.get('Code', type(exc).__name__)} (HTTP {status})"
    return type(exc).__name__ + (f": {str(exc).splitlines()[0][:200]}" if str(exc) else "")


def deliver_s3(src: Path, *, target: Any, client: str, feed: str, day: date,
               file_key: str, sha256: str | None = None, s3: Any = None) -> S3Put:
    """Upload ``src`` to its object (overwriting an earlier upload of the same file)."""
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import BotoCoreError, ClientError

    from pvt_dagster.storage import s3_client

    started = time.monotonic()
    key = object_key(target.prefix, client, feed, day, file_key)
    url = f"s3://{target.bucket}/{key}"
    size = src.stat().st_size
    metadata = {"pvt-key": file_key, **({"sha256": sha256} if sha256 else {})}
    try:
        s3 = s3 or s3_client(target)
        s3.upload_file(str(src), target.bucket, key,
                       ExtraArgs={"ContentType": "text/csv", "Metadata": metadata},
                       Config=TransferConfig(multipart_threshold=8 * 1024 * 1024))
        stored = s3.head_object(Bucket=target.bucket, Key=key)["ContentLength"]
    except (BotoCoreError, ClientError) as exc:
        raise DeliveryError(f"{url}: upload failed: {_error(exc)}") from exc
    except OSError as exc:
        raise DeliveryError(f"{url}: cannot read {src.name}: {exc.strerror}") from exc
    if stored != size:
        raise DeliveryError(f"{url}: stored {stored} bytes, the file has {size}")
    return S3Put(url, _count_rows(src), size, time.monotonic() - started)
