"""Push intake: the upload API (``pvt serve``) that writes clients' uploads into the areas of
their ``kind: push`` sources, its users and login limits, and the client (``pvt upload``).
Plain Python: it never imports Dagster."""

from __future__ import annotations

from pvt_dagster.push.app import PushApi, constraints_json
from pvt_dagster.push.area import Uploaded, UploadSlot, name_problem
from pvt_dagster.push.auth import Authenticator, Credentials, Principal, parse_authorization
from pvt_dagster.push.client import Login, Outcome, Uploader, password_from_env
from pvt_dagster.push.passwords import hash_kind, hash_password, tokens_match, verify_password
from pvt_dagster.push.ratelimit import LoginLimiter
from pvt_dagster.push.server import listen_on, serve

__all__ = [
    "Authenticator",
    "Credentials",
    "Login",
    "LoginLimiter",
    "Outcome",
    "Principal",
    "PushApi",
    "UploadSlot",
    "Uploaded",
    "Uploader",
    "constraints_json",
    "hash_kind",
    "hash_password",
    "listen_on",
    "name_problem",
    "parse_authorization",
    "password_from_env",
    "serve",
    "tokens_match",
    "verify_password",
]
