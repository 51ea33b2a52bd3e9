"""Delivery: write scrubbed files to their targets (daily CSV; SQL table and S3 to come)."""

from __future__ import annotations

from pvt_dagster.delivery.daily_csv import KEY_COLUMN, Delivered, deliver_daily_csv, target_path

__all__ = ["KEY_COLUMN", "Delivered", "deliver_daily_csv", "target_path"]
