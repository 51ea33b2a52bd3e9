"""Shared pieces of the ``pvt`` parser: each command module adds itself with ``register``."""

from __future__ import annotations

import argparse
from typing import TypeAlias

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
