"""The demo's upload API: ``pvt demo run`` starts ``pvt serve`` on the demo config (127.0.0.1,
TLS with the demo's self-signed certificate, port ``$PVT_DEMO_PUSH_PORT`` or 3444) as a child
process, and stops it with the rest."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pvt_dagster.config import PushSource, PvtConfig
from pvt_dagster.demo.mail import ensure_port_free
from pvt_dagster.errors import DemoError

PUSH_PORT_ENV = "PVT_DEMO_PUSH_PORT"


def has_push_source(config: PvtConfig) -> bool:
    """Whether any client of the config takes uploads."""
    return any(isinstance(s, PushSource) for c in config.clients.values()
               for s in c.sources.values())


def pvt_command() -> list[str]:
    """The ``pvt`` command of this virtualenv (or the one on PATH)."""
    local = Path(sys.executable).parent / "pvt"
    binary = str(local) if local.exists() else shutil.which("pvt")
    if binary is None:
        raise DemoError("the pvt command is not installed (make install)")
    return [binary]


def start_upload_api(config: PvtConfig, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """``pvt serve`` on the demo config, in its own process group (Ctrl-C reaches only us)."""
    if config.path is None:
        raise DemoError("the demo runs from a config file (pvt demo --dir DIR writes one)")
    ensure_port_free(config.push.port, f"the demo's upload API; set {PUSH_PORT_ENV}")
    return subprocess.Popen([*pvt_command(), "--config", str(config.path), "serve"],
                            env=dict(env), process_group=0)


def upload_example(config: PvtConfig) -> str:
    """The ``pvt upload`` line that sends a file to the demo client's upload area."""
    folder = config.path.parent if config.path is not None else Path(".demo")
    tls = config.push.tls
    cacert = f" --cacert {tls.cert}" if tls is not None else ""
    scheme = "https" if tls is not None else "http"
    return (f"PVT_UPLOAD_PASSWORD=$(cat {folder / 'secrets' / 'push_user.password'}) "
            f"pvt upload --url {scheme}://{config.push.host}:{config.push.port}/v1/acme "
            f"-u acme_uploader{cacert} roster_mine.csv")
