"""The product's shared vocabulary: the stages of a file, in order."""

from __future__ import annotations

from typing import Literal

Stage = Literal["raw", "decrypted", "validated", "scrubbed", "delivered"]
STAGES: tuple[Stage, ...] = ("raw", "decrypted", "validated", "scrubbed", "delivered")
