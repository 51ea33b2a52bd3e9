"""The local demo: ``pvt demo`` writes a config, a key pair and three encrypted files once
(``seed``); ``pvt demo run`` starts the demo's mail catcher (``mail``) and HTTPS Salesforce
stand-in (``salesforce``, ``tls``) in threads, then ``dagster dev`` (``launcher``)."""

from __future__ import annotations

from pvt_dagster.demo.seed import (
    COLUMNS,
    DEMO_FILES,
    DEMO_KEY_EMAIL,
    DemoFile,
    fake_ssn,
    member_rows,
    write_demo,
)

__all__ = [
    "COLUMNS",
    "DEMO_FILES",
    "DEMO_KEY_EMAIL",
    "DemoFile",
    "fake_ssn",
    "member_rows",
    "write_demo",
]
