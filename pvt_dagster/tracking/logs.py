"""Logging from one file (after the PIExporter notes): a dictConfig YAML shipped in the package
(``logging.yaml`` here), overridable by ``$PVT_LOGGING_CONFIG`` or ``logging: {config: PATH}``
in pvt.yaml. All levels go to ``debug.log``, info and above to ``daily.log``, warnings and
above to ``error.log``, critical to ``critical.log`` and to a ledger message; every file
rotates at midnight and is kept 366 days, under ``home/logs/``. A filter masks anything shaped
like an SSN or a phone number in messages and tracebacks, so no log holds PII."""

from __future__ import annotations

import hashlib
import logging
import logging.config
import logging.handlers
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from pvt_dagster.config import PvtConfig
from pvt_dagster.errors import ConfigError
from pvt_dagster.fsutil import ensure_private_dir, open_private
from pvt_dagster.masking import mask_pii

ENV_VAR = "PVT_LOGGING_CONFIG"
DEFAULT_CONFIG = Path(__file__).with_name("logging.yaml")
_configured: tuple[str, str, str] | None = None
_LOCK = threading.Lock()


class PiiFilter(logging.Filter):
    """Masks SSN- and phone-shaped text in a record's message and traceback (never drops)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; always keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = mask_pii(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return True


class PrivateTimedRotatingFileHandler(logging.handlers.TimedRotatingFileHandler):
    """A TimedRotatingFileHandler whose files are created 0600 in a 0700 folder."""

    def __init__(self, filename: str, **kwargs: Any) -> None:
        ensure_private_dir(Path(filename).parent)
        super().__init__(filename, **kwargs)

    def _open(self) -> Any:
        """Open the log file, creating it 0600."""
        fd = open_private(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


class LedgerMessageHandler(logging.Handler):
    """Records each critical log line as a ledger message (kind ``critical_log``), which the
    dispatch sensor routes like any failure; the same line within a minute is sent once."""

    _busy = threading.local()

    def __init__(self, url: str, level: int = logging.CRITICAL) -> None:
        super().__init__(level)
        self.url = url
        self._ledger: Any = None

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the message; never raise, never recurse through our own logging."""
        if getattr(self._busy, "active", False):
            return
        self._busy.active = True
        try:
            from pvt_dagster.ledger import Ledger

            if self._ledger is None:
                self._ledger = Ledger(self.url)
            text = " ".join(mask_pii(record.getMessage()).split())[:500]
            minute = datetime.fromtimestamp(record.created, UTC).strftime("%Y%m%dT%H%M")
            digest = hashlib.sha256(f"{record.name}:{text}".encode()).hexdigest()[:16]
            self._ledger.record_message(
                dedupe_key=f"log:critical:{minute}:{digest}", client=None, feed=None,
                file_key=None, stage=None, kind="critical_log", severity="failure",
                text=f"critical: {text}", details={"logger": record.name})
        except Exception:  # a logging handler must not raise (see logging.Handler.handleError)
            self.handleError(record)
        finally:
            self._busy.active = False

    def close(self) -> None:
        """Release the ledger's connections."""
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        super().close()


def config_file(config: PvtConfig) -> Path:
    """The logging YAML to use: ``$PVT_LOGGING_CONFIG``, else pvt.yaml's, else the shipped one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return config.logging.config or DEFAULT_CONFIG


def log_dir(config: PvtConfig) -> Path:
    """Where the log files go (``home/logs`` unless ``logging.dir`` says otherwise)."""
    return config.logging.dir or config.home / "logs"


def _fill(value: Any, values: dict[str, str]) -> Any:
    """``{log_dir}`` and ``{ledger_url}`` filled in every string of the YAML."""
    if isinstance(value, str):
        for name, replacement in values.items():
            value = value.replace("{" + name + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def load_logging_config(path: Path, *, log_dir: Path, ledger_url: str) -> dict[str, Any]:
    """The dictConfig of a YAML file, placeholders filled; ConfigError if it is unusable."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"logging config {path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ConfigError(f"logging config {path}: not a logging dictConfig (version: 1)")
    return dict(_fill(data, {"log_dir": str(log_dir), "ledger_url": ledger_url}))


def configure_logging(config: PvtConfig, *, force: bool = False) -> Path | None:
    """Set up logging for this process from one file (once per config); the log folder, or
    None when ``logging.enabled`` is false."""
    global _configured
    if not config.logging.enabled:
        return None
    path, folder = config_file(config), log_dir(config)
    key = (str(path), str(folder), config.ledger_url)
    with _LOCK:
        if _configured == key and not force:
            return folder
        ensure_private_dir(folder, tighten=True)
        settings = load_logging_config(path, log_dir=folder, ledger_url=config.ledger_url)
        try:
            logging.config.dictConfig(settings)
        except (ValueError, TypeError, AttributeError, ImportError) as exc:
            raise ConfigError(f"logging config {path}: {exc}") from exc
        _configured = key
    logging.getLogger("pvt_dagster").debug("logging configured from %s into %s", path, folder)
    return folder
