"""Delivery: write scrubbed files to their targets: daily CSV, a per-client SQL table, S3."""

from __future__ import annotations

from pvt_dagster.delivery.daily_csv import KEY_COLUMN, Delivered, deliver_daily_csv, target_path
from pvt_dagster.delivery.s3 import S3Put, deliver_s3, object_key
from pvt_dagster.delivery.table import TableLoad, deliver_table, table_location

__all__ = [
    "KEY_COLUMN",
    "Delivered",
    "S3Put",
    "TableLoad",
    "deliver_daily_csv",
    "deliver_s3",
    "deliver_table",
    "object_key",
    "table_location",
    "target_path",
]
