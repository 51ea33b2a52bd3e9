"""Fixtures for transport tests: the intake environment and real remote servers."""

from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
from pvt_dagster_tests.support.servers.ftpd import ftpd, ftpsd  # noqa: F401
from pvt_dagster_tests.support.servers.pull_api import pull_api  # noqa: F401
from pvt_dagster_tests.support.servers.sshd import sshd  # noqa: F401
