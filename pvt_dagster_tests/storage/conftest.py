"""Fixtures of the storage tests: moto's S3 server and the intake environment."""

from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
from pvt_dagster_tests.support.servers.moto_s3 import moto_s3  # noqa: F401
