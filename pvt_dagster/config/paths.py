"""Walk a loaded config: make relative paths absolute, and visit values with their key paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from pvt_dagster.config.models import LocalSource, PvtConfig
from pvt_dagster.config.sources import Archive
from pvt_dagster.config.yamlsource import KeyPath

T = TypeVar("T")


def absolute(path: Path, base: Path) -> Path:
    """``path`` with ``~`` expanded, relative to ``base`` unless already absolute."""
    return base / path.expanduser()


def _resolve(value: T, base: Path) -> T:
    """``value`` with every Path field made absolute, and a local source's path too (its
    archive folder relative to that path, as for every source kind)."""
    if isinstance(value, Path):
        return absolute(value, base)  # type: ignore[return-value]
    if isinstance(value, list):
        return [_resolve(item, base) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {key: _resolve(item, base) for key, item in value.items()}  # type: ignore[return-value]
    if not isinstance(value, BaseModel):
        return value
    update: dict[str, Any] = {}
    for name in type(value).model_fields:
        current = getattr(value, name)
        new = _resolve(current, base)
        if new is not current and new != current:
            update[name] = new
    if isinstance(value, LocalSource):
        root = absolute(Path(value.path), base)
        update["path"] = str(root)
        if isinstance(value.after_transfer, Archive):  # relative to the source's folder
            target = os.path.normpath(absolute(Path(value.after_transfer.path), root))
            update["after_transfer"] = Archive(target)
    return value.model_copy(update=update) if update else value


def resolve_paths(config: PvtConfig, config_path: Path) -> PvtConfig:
    """The config with relative paths made absolute against the config file's folder."""
    resolved = _resolve(config, config_path.parent)
    return resolved.model_copy(update={"path": config_path})


def walk(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    """Every value in a config (models, lists, dicts, leaves) with its YAML key path."""
    yield path, value
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from walk(getattr(value, name), (*path, info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))
