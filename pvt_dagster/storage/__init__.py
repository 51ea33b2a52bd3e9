"""Where the vault and stage outputs live: files in the PVT home (the default), or objects in
S3 through dagster-aws's S3 resource (``storage: {url: s3://bucket/prefix}``), with a run's
local disk as scratch only. Also the one place S3 clients are made (sources, targets)."""

from __future__ import annotations

from pvt_dagster.config import PvtConfig
from pvt_dagster.storage.connect import s3_client
from pvt_dagster.storage.local import StageStore


def open_store(config: PvtConfig) -> StageStore:
    """The store of ``config``: its home, or its object storage (boto3 imported only then)."""
    if config.storage is None:
        return StageStore(config.home)
    from pvt_dagster.storage.s3store import S3Store

    return S3Store(config.storage)


__all__ = ["StageStore", "open_store", "s3_client"]
