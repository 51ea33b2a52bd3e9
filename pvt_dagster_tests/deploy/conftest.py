"""Fixtures of the deploy tests: moto's S3 server (compute logs) and a throwaway PostgreSQL
database for the instance."""

from pvt_dagster_tests.deploy.fixtures import dagster_pg_database  # noqa: F401
from pvt_dagster_tests.support.servers.moto_s3 import moto_s3  # noqa: F401
