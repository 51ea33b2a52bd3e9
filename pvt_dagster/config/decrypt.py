"""The ``decrypt`` block of a feed: which key (by file-name pattern), its passphrase, signature
requirements and the decompression limits that stop a PGP "zip bomb"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pydantic import Field, field_validator, model_validator

from pvt_dagster.config.base import Model, SecretRef, Size
from pvt_dagster.config.sizes import parse_size

DEFAULT_MAX_OUTPUT_BYTES = 20 * 1000**3  # 20 GB of plaintext per file
DEFAULT_MAX_RATIO = 100.0  # plaintext bytes per encrypted byte
_FINGERPRINT = re.compile(r"^(?:[0-9A-F]{40}|[0-9A-F]{64})$")


def fingerprints(value: Any) -> Any:
    """A list of OpenPGP fingerprints normalised (upper case, no spaces or ``0x``); ValueError
    for an item that is not a full fingerprint (40 or 64 hex digits)."""
    if not isinstance(value, list):
        return value
    cleaned = []
    for item in value:
        text = str(item).replace(" ", "").upper().removeprefix("0X")
        if not _FINGERPRINT.match(text):
            raise ValueError(f"trusted signer {item!r} is not a full fingerprint "
                             "(40 or 64 hex digits)")
        cleaned.append(text)
    return cleaned


class KeyRule(Model):
    """One entry of ``decrypt.keys``: files whose name matches ``pattern`` use ``key``."""

    pattern: str = Field(min_length=1)
    key: str = Field(min_length=1)
    passphrase: SecretRef | None = None  # defaults to decrypt.passphrase


@dataclass(frozen=True)
class KeyChoice:
    """The key chosen for one file, its passphrase reference and where it came from."""

    key: str
    passphrase: SecretRef | None
    pattern: str | None  # None: the feed's single ``decrypt.key``
    index: int | None  # position in ``decrypt.keys``


class DecryptConfig(Model):
    """How a feed's files are decrypted.

    Either one ``key`` or an ordered list ``keys`` of ``{pattern, key, passphrase?}`` (first
    matching glob on the file name wins); ``passphrase`` is the default for every entry.
    ``require_signature`` demands a good signature by one of ``trusted_signers``
    (fingerprints). ``max_output_bytes`` and ``max_ratio`` bound the plaintext.
    """

    key: str | None = Field(default=None, min_length=1)
    keys: list[KeyRule] | None = None
    passphrase: SecretRef | None = None
    require_signature: bool = False
    trusted_signers: list[str] = Field(default_factory=list)
    max_output_bytes: Size = DEFAULT_MAX_OUTPUT_BYTES
    max_ratio: float = Field(default=DEFAULT_MAX_RATIO, ge=1)

    @field_validator("max_output_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return parse_size(value) if isinstance(value, str) else value

    @field_validator("trusted_signers", mode="before")
    @classmethod
    def _fingerprints(cls, value: Any) -> Any:
        return fingerprints(value)

    @model_validator(mode="after")
    def _one_way_to_choose(self) -> DecryptConfig:
        if (self.key is None) == (self.keys is None):
            raise ValueError("decrypt needs exactly one of key: KEY or keys: [{pattern, key}]")
        if self.keys is not None and not self.keys:
            raise ValueError("decrypt.keys is empty: give at least one {pattern, key}")
        if self.require_signature and not self.trusted_signers:
            raise ValueError("require_signature: true needs trusted_signers: [FINGERPRINT, ...]")
        return self

    def choose(self, name: str) -> KeyChoice | None:
        """The key for a file name (first matching pattern), or None when none matches."""
        if self.key is not None:
            return KeyChoice(self.key, self.passphrase, None, None)
        for index, rule in enumerate(self.keys or []):
            if fnmatchcase(name, rule.pattern):
                return KeyChoice(rule.key, rule.passphrase or self.passphrase, rule.pattern,
                                 index)
        return None

    def all_keys(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every key named, with its path below ``decrypt`` (for checks and ``keys list``)."""
        if self.key is not None:
            return [(("key",), self.key)]
        return [(("keys", i, "key"), rule.key) for i, rule in enumerate(self.keys or [])]
