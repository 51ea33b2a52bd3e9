"""Each package's ``__all__`` is its public surface: other packages import only what it lists.

A module may import its own package's submodules freely; from another package it imports
``pvt_dagster.<package>`` names that the package's ``__init__`` lists in ``__all__``."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "pvt_dagster"
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())


def _declared_all(package: str) -> list[str]:
    """The names a package's ``__init__`` lists in ``__all__``, read without importing it."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return list(ast.literal_eval(node.value))
    return []


def _cross_package_imports() -> list[tuple[str, int, str, str]]:
    """(module file, line, imported module, name) for every import of another package."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        own = parts[0] if len(parts) > 1 else None
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            module = node.module.split(".")
            if module[0] != "pvt_dagster" or len(module) < 2 or module[1] == own:
                continue
            if module[1] not in PACKAGES:
                continue
            rel = str(path.relative_to(ROOT.parent))
            found += [(rel, node.lineno, node.module, alias.name) for alias in node.names]
    return found


def test_packages_are_imported_through_their_surface_only() -> None:
    """No module reaches into another package's submodules."""
    deep = [f"{file}:{line} imports {name} from {module}"
            for file, line, module, name in _cross_package_imports() if module.count(".") > 1]
    assert deep == [], "import these from the package instead:\n" + "\n".join(deep)


def test_what_packages_import_from_each_other_is_listed_in_all() -> None:
    """A name taken from another package is one that package lists in ``__all__``."""
    unlisted = [f"{file}:{line} imports {name} from {module}, not in its __all__"
                for file, line, module, name in _cross_package_imports()
                if module.count(".") == 1 and name not in _declared_all(module.split(".")[1])]
    assert unlisted == [], "\n".join(unlisted)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_listed_name_exists(package: str) -> None:
    """Each name in a package's ``__all__`` is defined once the package is imported."""
    module = importlib.import_module(f"pvt_dagster.{package}")
    missing = [name for name in _declared_all(package) if not hasattr(module, name)]
    assert missing == []
    assert len(set(_declared_all(package))) == len(_declared_all(package)), "duplicates in __all__"
