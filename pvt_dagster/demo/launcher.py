"""``pvt demo run``: start the demo's mail catcher and Salesforce stand-in in threads, then
its upload API (``pvt serve``, see ``upload_api``) and ``dagster dev`` as child processes, each
in its own process group (so a Ctrl-C reaches only us). On Ctrl-C, SIGTERM or SIGHUP: one
SIGINT to ``dagster dev`` (it stops its webserver, daemon and code servers), wait for it and
every process it had started, then stop the upload API, the services and the keystore's
gpg-agent."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from pvt_dagster.config.loader import load_with_lines
from pvt_dagster.decrypt.agent import stop_agent_of
from pvt_dagster.demo.mail import ensure_port_free
from pvt_dagster.demo.services import DemoServices
from pvt_dagster.demo.upload_api import has_push_source, start_upload_api, upload_example
from pvt_dagster.errors import DemoError

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def descendants(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (from /proc), children first."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            found.extend(descendants(child))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited: only its parent's wait is missing
        return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[-1].startswith("Z")
    except OSError:
        return False


def _say(text: str) -> None:
    print(text, flush=True)


def dagster_command(port: int, workspace: Path | None) -> list[str]:
    """``dagster dev`` on 127.0.0.1:port, from this virtualenv if it has one."""
    local = Path(sys.executable).parent / "dagster"
    binary = str(local) if local.exists() else shutil.which("dagster")
    if binary is None:
        raise DemoError("the dagster command is not installed (make install)")
    target = ["-w", str(workspace)] if workspace is not None else \
        ["-m", "pvt_dagster.definitions"]
    return [binary, "dev", "-h", "127.0.0.1", "-p", str(port), *target]


def demo_env(target: Path, port: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of ``dagster dev``: PVT_CONFIG, DAGSTER_HOME and PORT set for the demo."""
    env = dict(os.environ if base is None else base)
    env.update(PVT_CONFIG=str(target / "pvt.yaml"), DAGSTER_HOME=str(target / "dagster"),
               PORT=str(port))
    return env


def prepare_dagster_home(home: Path, workspace: Path | None) -> None:
    """Create DAGSTER_HOME; copy the ``dagster.yaml`` next to the workspace file into it."""
    home.mkdir(parents=True, exist_ok=True)
    instance_yaml = workspace.parent / "dagster.yaml" if workspace is not None else None
    if instance_yaml is not None and instance_yaml.is_file():
        shutil.copyfile(instance_yaml, home / "dagster.yaml")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGINT to ``proc`` once, wait for it and every process it had started; SIGKILL stragglers
    (by pid) after ``timeout``."""
    family = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        family += [proc.pid]
    while time.monotonic() < deadline and any(_alive(pid) for pid in family):
        time.sleep(0.2)
    for pid in family:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait(5)


def run_demo(target: Path, *, port: int, workspace: Path | None,
             say: Callable[[str], None] = _say) -> int:
    """Run the demo in ``target`` until a stop signal or until ``dagster dev`` exits; its status."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    services: DemoServices | None = None
    upload_api: subprocess.Popen[bytes] | None = None
    gnupghome: Path | None = None
    try:
        env = demo_env(target, port)
        config, _smap = load_with_lines(target / "pvt.yaml", env)
        gnupghome = config.gnupghome
        ensure_port_free(port, "the Dagster UI; set PORT")
        prepare_dagster_home(Path(env["DAGSTER_HOME"]), workspace)
        services = DemoServices.for_config(config).start()
        uploads = "  uploads: none (this demo predates push; `make demo-reset` adds it)\n"
        if has_push_source(config):
            upload_api = start_upload_api(config, env)
            uploads = f"  uploads (pvt serve, port {config.push.port}): {upload_example(config)}\n"
        proc = subprocess.Popen(dagster_command(port, workspace), env=env, process_group=0)
        say(f"PVT demo: Dagster UI http://127.0.0.1:{port} (Ctrl-C stops everything)\n"
            f"  emails (SMTP 127.0.0.1:{services.smtp_port}): {services.mail_dir}/*.eml\n"
            f"  Salesforce Cases (https://127.0.0.1:{services.sf_port}): "
            f"{services.cases_dir}/Case-*.json\n{uploads}"
            f"  progress: pvt --config {target / 'pvt.yaml'} files | messages")
        try:
            while proc.poll() is None and not stop.wait(0.5):
                pass
        finally:
            if proc.poll() is None:
                say("PVT demo: stopping dagster dev ...")
                stop_process(proc)
        say("PVT demo: stopped")
        return 0 if stop.is_set() else int(proc.returncode or 0)
    finally:
        if upload_api is not None:
            stop_process(upload_api)
        if services is not None:
            services.stop()
        if gnupghome is not None:
            stop_agent_of(gnupghome)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
