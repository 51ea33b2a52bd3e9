"""Fixtures for operations tests: the intake environment with its real keystore, and moto's
S3 server (shared with the s3 source tests)."""

from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
from pvt_dagster_tests.support.servers.moto_s3 import moto_s3  # noqa: F401
