"""Config rules of the s3, imap and http source kinds: which after_transfer policies each
accepts, location fields, credential pairs, TLS-only servers, and the kinds being supported."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pvt_dagster.config.models import HttpSource, ImapSource, S3Source
from pvt_dagster.config.sources import SUPPORTED_SOURCE_KINDS
from pvt_dagster.sources import IMPLEMENTATIONS

IMAP = {"kind": "imap", "host": "mail.example.org", "username": "u",
        "password": {"env": "P"}, "require_signature": False}


def test_the_three_kinds_are_supported_and_registered() -> None:
    assert {"s3", "imap", "http"} <= SUPPORTED_SOURCE_KINDS
    assert {"s3", "imap", "http"} <= set(IMPLEMENTATIONS)


@pytest.mark.parametrize(("model", "fields", "message"), [
    (S3Source, {"kind": "s3", "bucket": "bkt", "after_transfer": "seen"}, "archive:PATH"),
    (S3Source, {"kind": "s3", "bucket": "bkt", "after_transfer": "keep", "path": "/x"},
     "use bucket and prefix, not path"),
    (S3Source, {"kind": "s3", "bucket": "bkt", "after_transfer": "keep",
                "access_key_id": {"env": "K"}}, "give both access_key_id and secret"),
    (ImapSource, {**IMAP, "after_transfer": "archive:"}, "seen or archive:FOLDER"),
    (ImapSource, {**IMAP, "after_transfer": "keep", "security": "none"},
     "only for a server on 127.0.0.1"),
    (ImapSource, {**IMAP, "after_transfer": "keep", "subject": "Mitglieder \u00fcbersicht"},
     "printable ASCII"),
    (ImapSource, {**IMAP, "after_transfer": "keep", "recursive": True}, "no folders"),
    (HttpSource, {"kind": "http", "url": "https://h/api", "after_transfer": "archive:x"},
     "delete or keep for http"),
    (HttpSource, {"kind": "http", "url": "http://exporter.example/api",
                  "after_transfer": "keep"}, "must be https://"),
])
def test_invalid_settings_are_refused(model: type, fields: dict[str, object],
                                      message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(fields)


def test_valid_settings_are_accepted() -> None:
    imap = ImapSource.model_validate({**IMAP, "after_transfer": "seen"})
    assert (imap.security, imap.port, imap.folder) == ("ssl", None, "INBOX")
    http = HttpSource.model_validate({"kind": "http", "url": "http://127.0.0.1:8080/api/",
                                      "after_transfer": "delete"})
    assert http.url == "http://127.0.0.1:8080/api"
    s3 = S3Source.model_validate({"kind": "s3", "bucket": "bkt", "prefix": "in",
                                  "after_transfer": "archive:done/"})
    assert (s3.addressing_style, s3.access_key_id) == ("auto", None)
