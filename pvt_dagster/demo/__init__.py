"""The local demo: ``pvt demo`` writes a config, a key pair, three encrypted files and a push
user once (``seed``); ``pvt demo run`` starts the demo's mail catcher (``mail``) and HTTPS
Salesforce stand-in (``salesforce``, ``tls``) in threads, its upload API (``upload_api``: ``pvt
serve``) and ``dagster dev`` (``launcher``). ``running`` runs the demo in the background until its
files' runs have finished, and ``screenshots`` walks the Dagster UI over it in Chromium (``make
screenshots``, the browser tests)."""

from __future__ import annotations

from pvt_dagster.demo.launcher import run_demo
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
    "run_demo",
    "write_demo",
]
