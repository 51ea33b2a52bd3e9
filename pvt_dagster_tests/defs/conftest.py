"""Fixtures for the Dagster layer's tests: a real keystore, a PVT home with a drop folder, and
``dagster dev`` on it."""

from pvt_dagster_tests.support.dagster_dev import dagster_dev  # noqa: F401
from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
