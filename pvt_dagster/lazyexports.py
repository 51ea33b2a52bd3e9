"""PEP 562 lazy exports for a package ``__init__``: a public name's submodule is imported on
first use, so importing the package (for one light name) does not import its heavy modules."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, sources: Mapping[str, str],
                 namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``sources`` maps each public name to the
    submodule that defines it; a loaded name is kept in ``namespace`` (the package's globals)."""
    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{source}"), name)
        namespace[name] = value
        return value
    return __getattr__


def lazy_dir(public: list[str], namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """A module ``__dir__``: the public names, loaded or not, and what is already loaded."""
    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(public))
    return __dir__
