"""Shared pieces of the ``pvt`` parser: each command module adds itself with ``register``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias, TypeVar

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
_Word = TypeVar("_Word", bound=str)


def vocabulary(convert: Callable[[str], _Word]) -> Callable[[str], _Word]:
    """An argparse ``type`` that turns an option's text into a value of one of the domain's
    vocabularies (``domain.as_stage``...), with the domain's message for an unknown word."""

    def parse(text: str) -> _Word:
        try:
            return convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse
