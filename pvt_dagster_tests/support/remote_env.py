"""Helpers for end-to-end tests of remote sources: swap the test config's local ``drop`` source
for another kind, encrypt bytes to the feed key, and evaluate the discovery sensor once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import dagster as dg

from pvt_dagster.decrypt import encrypt_file
from pvt_dagster.definitions import build_definitions
from pvt_dagster.defs.resources import PvtIntakeResource
from pvt_dagster.ledger import MessageRecord
from pvt_dagster_tests.support.fixtures import FEED_KEY, IntakeEnv

LOCAL_DROP = ("        kind: local\n        path: inbox\n"
              "        after_transfer: archive:../archive\n")


def use_source(env: IntakeEnv, source_yaml: str) -> None:
    """Replace the ``drop`` source of the test config by ``source_yaml`` (8-space keys)."""
    text = env.config_path.read_text()
    assert LOCAL_DROP in text
    env.config_path.write_text(text.replace(LOCAL_DROP, source_yaml))


def encrypted(env: IntakeEnv, data: bytes) -> bytes:
    """``data`` encrypted to the feed key, as a client would send it."""
    with tempfile.TemporaryDirectory(dir=env.root) as tmp:
        plain, out = Path(tmp) / "plain", Path(tmp) / "out.pgp"
        plain.write_bytes(data)
        encrypt_file(env.keys.keystore, plain, out, recipient=FEED_KEY)
        return out.read_bytes()


def sensor_messages(env: IntakeEnv) -> tuple[str, list[MessageRecord]]:
    """Evaluate the drop source's discovery sensor once: its skip reason and the messages."""
    defs = build_definitions(str(env.config_path))
    resources = {"pvt": PvtIntakeResource(config_path=str(env.config_path))}
    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("acme__drop__discover")
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = sensor(context)
    assert isinstance(result, dg.SkipReason), result
    intake = env.intake()
    try:
        return result.skip_message or "", intake.ledger.messages()
    finally:
        intake.close()
