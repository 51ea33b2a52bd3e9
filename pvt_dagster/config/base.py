"""The base of every config model, names, sizes and secret references."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from pvt_dagster.errors import ConfigError

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


MAX_NAME = 50  # keeps file keys, ledger columns and PostgreSQL schema names within bounds


def _identifier(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise ValueError(
            f"{name!r} is not a valid name: use a-z, 0-9 and _, starting with a letter"
        )
    if len(name) > MAX_NAME:
        raise ValueError(f"{name[:20]!r}… is {len(name)} characters long; a name has at most "
                         f"{MAX_NAME}")
    return name


# Client, source and feed names become Dagster names (asset keys, jobs, partitions).
Name = Annotated[str, AfterValidator(_identifier)]


class Model(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(Model):
    """A secret read when used: ``{env: NAME}`` or ``{file: PATH}``, never written in config."""

    env: str | None = None
    file: Path | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret is {env: NAME} or {file: PATH}, exactly one of them")
        return self

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the value)."""
        return f"environment variable {self.env}" if self.env else f"file {self.file}"

    def resolve(self) -> str:
        """Read the secret's value; raises ConfigError naming the missing variable or file."""
        if self.env:
            if self.env not in os.environ:
                raise ConfigError(f"secret: environment variable {self.env} is not set")
            return os.environ[self.env]
        assert self.file is not None
        try:
            return self.file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"secret: cannot read file {self.file}: {exc.strerror}") from exc


Size = Annotated[int, Field(ge=0)]
