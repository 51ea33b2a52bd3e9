"""dagster-aws's S3 resource, with what our stores need besides: the addressing style, connect
and read timeouts and a private CA bundle. Every S3 client PVT Intake makes (sources, the S3
delivery target, object storage) comes from here. Imported only when an S3 client is made:
boto3 and dagster-aws are not paid for by runs that never touch S3."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from dagster_aws.s3 import S3Resource
from dagster_aws.utils import construct_boto_client_retry_config
from pydantic import Field


class PvtS3Resource(S3Resource):
    """An S3 client with timeouts, addressing style and a CA bundle (dagster-aws's
    ``S3Resource`` has none of these), retries as dagster-aws configures them."""

    addressing_style: str = Field(default="auto", description="auto, path or virtual")
    timeout_seconds: float = Field(default=30.0, description="Connect and read timeout.")
    ca_bundle: str | None = Field(default=None, description="PEM of a private CA.")

    def get_client(self) -> Any:
        """A boto3 S3 client built from this resource's settings."""
        settings = construct_boto_client_retry_config(  # type: ignore[no-untyped-call]
            self.max_attempts).merge(Config(
            s3={"addressing_style": self.addressing_style},
            connect_timeout=self.timeout_seconds, read_timeout=self.timeout_seconds))
        verify: str | bool | None = self.ca_bundle if self.ca_bundle else self.verify
        session = boto3.session.Session(profile_name=self.profile_name)
        return session.client(
            "s3", region_name=self.region_name, endpoint_url=self.endpoint_url,
            use_ssl=self.use_ssl, verify=verify, aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            aws_session_token=self.aws_session_token, config=settings)
