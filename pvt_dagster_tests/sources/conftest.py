"""Fixtures for source tests: real sshd and pyftpdlib servers on 127.0.0.1."""

# s3, imap and http sources (and their end-to-end tests, which need the intake environment):
from pvt_dagster_tests.support.fixtures import gpg_keys, intake_env  # noqa: F401
from pvt_dagster_tests.support.servers.dovecot import dovecot  # noqa: F401
from pvt_dagster_tests.support.servers.ftpd import ftpd, ftpd_no_mlsd, ftpsd  # noqa: F401
from pvt_dagster_tests.support.servers.moto_s3 import moto_s3  # noqa: F401
from pvt_dagster_tests.support.servers.pull_api import pull_api  # noqa: F401
from pvt_dagster_tests.support.servers.sshd import sshd  # noqa: F401
