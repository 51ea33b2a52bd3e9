"""Fixtures for retention: a real keystore and a PVT home with a drop folder."""

from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
