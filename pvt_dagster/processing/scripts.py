"""Loading a job's script: ``builtin:NAME`` from the built-ins, ``package.module:function``
(a client's own logic) by import, with an error that names the module, the function and the
exception type, and masks the exception's text."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from pvt_dagster.config import BUILTIN_PREFIX
from pvt_dagster.errors import ScriptError
from pvt_dagster.masking import mask_message
from pvt_dagster.processing.builtins import BUILTINS, Script


@dataclass(frozen=True)
class LoadedScript:
    """A script ready to call, with how errors name it."""

    ref: str
    function: Script
    builtin: bool

    @property
    def label(self) -> str:
        """``builtin:zscore`` or ``script package.module:function``."""
        return self.ref if self.builtin else f"script {self.ref}"


def load_script(ref: str) -> LoadedScript:
    """The script ``ref`` names; ScriptError when it cannot be imported or is not callable."""
    if ref.startswith(BUILTIN_PREFIX):
        name = ref.removeprefix(BUILTIN_PREFIX)
        if name not in BUILTINS:
            raise ScriptError(f"unknown built-in script {name} (known: "
                              f"{', '.join(sorted(BUILTINS))})")
        return LoadedScript(ref, BUILTINS[name], builtin=True)
    module_name, sep, function_name = ref.partition(":")
    if not sep or not module_name or not function_name:
        raise ScriptError(f"script {ref} is not package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:  # a name of code, never data: shown as it is
        raise ScriptError(f"script {ref}: module {module_name} does not import (no module "
                          f"named {exc.name})") from None
    except Exception as exc:  # any import-time error of the client's code
        raise ScriptError(f"script {ref}: module {module_name} does not import "
                          f"({type(exc).__name__}: {mask_message(str(exc))})") from None
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ScriptError(f"script {ref}: module {module_name} has no function "
                          f"{function_name}")
    return LoadedScript(ref, function, builtin=False)
