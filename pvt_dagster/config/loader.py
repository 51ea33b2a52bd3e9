"""Find and load ``pvt.yaml``: env references, absolute paths, line-numbered errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from pvt_dagster.config.issues import validation_issues
from pvt_dagster.config.models import PvtConfig
from pvt_dagster.config.paths import resolve_paths
from pvt_dagster.config.yamlsource import SourceMap, read_yaml
from pvt_dagster.errors import ConfigError, ConfigIssue, ConfigNotFoundError

ENV_VAR = "PVT_CONFIG"
DEFAULT_NAME = "pvt.yaml"


def find_config_path(explicit: str | Path | None = None) -> Path:
    """The config file: ``--config PATH``, then ``$PVT_CONFIG``, then ``./pvt.yaml``."""
    looked: list[str] = []
    if explicit is not None and str(explicit) != "":
        path = Path(explicit).expanduser().absolute()
        if path.is_file():
            return path
        looked.append(f"--config {path}")
    else:
        env_value = os.environ.get(ENV_VAR)
        if env_value:
            path = Path(env_value).expanduser().absolute()
            if path.is_file():
                return path
            looked.append(f"${ENV_VAR}={path}")
        else:
            looked.append(f"${ENV_VAR} (not set)")
        path = (Path.cwd() / DEFAULT_NAME).absolute()
        if path.is_file():
            return path
        looked.append(str(path))
    message = f"no config file found (looked at: {'; '.join(looked)})"
    raise ConfigNotFoundError([ConfigIssue(file="", line=None, key="", message=message)])


def load_with_lines(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[PvtConfig, SourceMap]:
    """Load a config and also return where each of its keys is (for later checks)."""
    config_path = find_config_path(path)
    raw, smap, issues = read_yaml(config_path, environ)
    if raw is None:
        raise ConfigError(issues)
    try:
        config = PvtConfig.model_validate(raw)
    except ValidationError as exc:
        # A ${NAME} that failed to expand may also fail validation: say it once.
        seen = {issue.key for issue in issues}
        issues += [i for i in validation_issues(exc, raw, smap, PvtConfig)
                   if i.key not in seen or i.message.startswith("unknown key")]
        issues.sort(key=lambda i: (i.line or 0, i.key))
        raise ConfigError(issues) from None  # pydantic's text would echo input values
    if issues:
        raise ConfigError(issues)
    return resolve_paths(config, config_path), smap


def load_config(path: str | Path | None = None) -> PvtConfig:
    """Load and validate ``pvt.yaml``; raises ConfigError listing every problem with its line."""
    config, _smap = load_with_lines(path)
    return config
