"""Logging from one file: every level to debug.log, info+ to daily.log, warnings+ to
error.log, critical to critical.log and a ledger message; SSN- and phone-shaped text masked
everywhere; rotation at midnight (driven by a fake clock) keeping 366 days; overrides by
pvt.yaml and $PVT_LOGGING_CONFIG."""

from __future__ import annotations

import logging
import logging.handlers
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pvt_dagster.config.models import LoggingConfig, PvtConfig
from pvt_dagster.errors import ConfigError
from pvt_dagster.ledger import Ledger
from pvt_dagster.tracking import logs

SSN, PHONE = "123-45-6789", "(555) 123-4567"


@pytest.fixture
def pvt_logger() -> Iterator[logging.Logger]:
    """The ``pvt_dagster`` logger, with our handlers removed and closed afterwards."""
    logger = logging.getLogger("pvt_dagster")
    before = list(logger.handlers)
    yield logger
    for handler in list(logger.handlers):
        if handler not in before:
            logger.removeHandler(handler)
            handler.close()
    logs._configured = None


def _handlers(logger: logging.Logger) -> dict[str, logging.Handler]:
    return {Path(h.baseFilename).name: h for h in logger.handlers
            if isinstance(h, logging.handlers.TimedRotatingFileHandler)}


def _flush(logger: logging.Logger) -> None:
    for handler in logger.handlers:
        handler.flush()


def test_levels_go_to_their_files_without_pii(tmp_path: Path,
                                              pvt_logger: logging.Logger) -> None:
    config = PvtConfig(home=tmp_path / "home")
    with Ledger(config.ledger_url) as ledger:
        ledger.upgrade()
    folder = logs.configure_logging(config, force=True)
    assert folder == tmp_path / "home" / "logs"
    log = logging.getLogger("pvt_dagster.test")
    log.debug("debug for %s", SSN)
    log.info("info about member %s", SSN)
    log.warning("warning: phone %s", PHONE)
    log.error("error")
    try:
        raise ValueError(f"bad value {SSN}")
    except ValueError:
        log.exception("failed on a row")
    log.critical("vault not writable while %s was processed", SSN)
    _flush(pvt_logger)
    lines = {name: (folder / name).read_text() for name in
             ("debug.log", "daily.log", "error.log", "critical.log")}
    assert [sum(w in text for w in ("debug for", "info about", "warning:", "ERROR", "vault"))
            for text in lines.values()] == [5, 4, 3, 1]
    assert "bad value ***-**-6789" in lines["error.log"]  # tracebacks are masked too
    for text in lines.values():
        assert SSN not in text and "123-4567" not in text
    assert "***-**-6789" in lines["debug.log"]
    assert all((folder / n).stat().st_mode & 0o777 == 0o600 for n in lines)
    with Ledger(config.ledger_url) as ledger:
        (message,) = [m for m in ledger.messages() if m.kind == "critical_log"]
    assert message.severity == "failure" and SSN not in message.text
    assert "***-**-6789" in message.text


def test_rotation_at_midnight_keeps_366_days(tmp_path: Path, pvt_logger: logging.Logger,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config = PvtConfig(home=tmp_path / "home")
    folder = logs.configure_logging(config, force=True)
    assert folder is not None
    daily = _handlers(pvt_logger)["daily.log"]
    assert isinstance(daily, logging.handlers.TimedRotatingFileHandler)
    assert (daily.when, daily.backupCount) == ("MIDNIGHT", 366)
    log = logging.getLogger("pvt_dagster.test")
    log.info("day one")
    first_day = time.strftime(daily.suffix, time.localtime(daily.rolloverAt - daily.interval))
    clock = [float(daily.rolloverAt) + 5]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    log.info("day two")
    _flush(pvt_logger)
    assert (folder / f"daily.log.{first_day}").read_text().count("day one") == 1
    assert "day one" not in (folder / "daily.log").read_text()
    assert "day two" in (folder / "daily.log").read_text()
    for _ in range(370):  # a year and a bit of midnights
        clock[0] = float(daily.rolloverAt) + 5
        log.info("another day")
    _flush(pvt_logger)
    kept = sorted(p.name for p in folder.glob("daily.log.*"))
    assert len(kept) == 366 and f"daily.log.{first_day}" not in kept
    assert not list(folder.glob("critical.log.*"))  # rotates only when written to


def test_override_by_pvt_yaml_and_environment(tmp_path: Path, pvt_logger: logging.Logger,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "one.yaml"
    custom.write_text(
        "version: 1\ndisable_existing_loggers: false\n"
        "filters: {no_pii: {(): pvt_dagster.tracking.logs.PiiFilter}}\n"
        "handlers:\n  only:\n    class: logging.FileHandler\n"
        "    filename: '{log_dir}/only.log'\n    filters: [no_pii]\n"
        "loggers: {pvt_dagster: {level: INFO, handlers: [only]}}\n")
    config = PvtConfig(home=tmp_path / "home", logging=LoggingConfig(config=custom))
    folder = logs.configure_logging(config, force=True)
    assert folder is not None
    logging.getLogger("pvt_dagster.x").info("hello %s", SSN)
    _flush(pvt_logger)
    assert (folder / "only.log").read_text().strip() == "hello ***-**-6789"
    broken = tmp_path / "broken.yaml"
    broken.write_text("handlers: {}\n")
    monkeypatch.setenv(logs.ENV_VAR, str(broken))  # the environment wins over pvt.yaml
    with pytest.raises(ConfigError, match="version: 1"):
        logs.configure_logging(config, force=True)
    assert logs.configure_logging(
        PvtConfig(home=tmp_path, logging=LoggingConfig(enabled=False))) is None
