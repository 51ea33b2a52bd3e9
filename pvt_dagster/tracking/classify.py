"""What kind of failure an error is. Only operational failures (a source, transfer, decrypt,
delivery or system error) count towards a feed's hold: a client's bad data does not stop its
good files, and a refused file is the file's problem, not the feed's."""

from __future__ import annotations

from pvt_dagster.errors import (
    CorruptDataError,
    DecompressionLimitError,
    EncryptedOnPlainFeedError,
    FileRejectedError,
    NotEncryptedError,
    ParseError,
    SignatureError,
    SourceChangedError,
    StageOrderError,
    UsageError,
    ValidationFailedError,
)

OPERATIONAL = "operational"  # counts towards a hold
DATA = "data"                # the file's content: parse errors, failure rules, a file that is
                             # not what its feed expects (plain vs PGP, corrupt, bomb, unsigned)
REJECTED = "rejected"        # refused before or at transfer (duplicate, constraint, unsafe)
RETRY = "retry"              # not a failure: the file changed, polling waits again
USAGE = "usage"              # a stage asked for out of order, an unknown feed or key
CATEGORIES = (OPERATIONAL, DATA, REJECTED, RETRY, USAGE)


def categorize(exc: BaseException) -> str:
    """The category of an error (see the module docstring)."""
    if isinstance(exc, SourceChangedError):
        return RETRY
    if isinstance(exc, FileRejectedError):
        return REJECTED
    if isinstance(exc, ParseError | ValidationFailedError | NotEncryptedError
                  | EncryptedOnPlainFeedError | CorruptDataError | DecompressionLimitError
                  | SignatureError):
        return DATA
    if isinstance(exc, StageOrderError | UsageError):
        return USAGE
    return OPERATIONAL


def counts_towards_hold(category: str | None) -> bool:
    """Whether a failure of this category counts towards a feed's hold."""
    return category == OPERATIONAL
