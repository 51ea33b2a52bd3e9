"""An S3 client for anything that reaches S3 (a source, a delivery target, object storage),
made through dagster-aws's S3 resource with secrets resolved now and never kept."""

from __future__ import annotations

from typing import Any

from pvt_dagster.config import S3Access

#: Attempts per request (the first included), as boto3's "standard" retry mode counts them.
MAX_ATTEMPTS = 3


def s3_client(access: S3Access) -> Any:
    """A boto3 S3 client for ``access`` (its ``{env}``/``{file}`` secrets resolved here, or
    boto3's default credential chain when it names none)."""
    from pvt_dagster.storage.resource import PvtS3Resource  # boto3 and dagster-aws: lazily

    key_id = secret = token = None
    if access.access_key_id is not None and access.secret_access_key is not None:
        key_id, secret = access.access_key_id.resolve(), access.secret_access_key.resolve()
        token = access.session_token.resolve() if access.session_token is not None else None
    resource = PvtS3Resource(
        region_name=access.region, endpoint_url=access.endpoint_url,
        max_attempts=MAX_ATTEMPTS, addressing_style=access.addressing_style,
        timeout_seconds=float(access.timeout_seconds),
        ca_bundle=str(access.ca_bundle) if access.ca_bundle else None,
        aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token)
    return resource.get_client()
