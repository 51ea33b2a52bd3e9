"""The one exception hierarchy of PVT Intake.

Every error the product raises on purpose derives from :class:`PvtError`. Third-party errors
(gpg, pandas, SQLAlchemy, OS errors) are translated at the boundary with ``raise ... from exc``
so that callers, the ledger and the Dagster UI see one readable line without PII.

::

    PvtError
    ├── ConfigError                 pvt.yaml is unreadable or invalid (carries ConfigIssue items)
    │   └── ConfigNotFoundError     no config file where we looked
    ├── UsageError                  the command line names an unknown feed, key or option
    ├── LedgerError                 the ledger cannot be reached or used
    │   ├── LedgerUnavailableError  connection or migration failure
    │   └── UnknownFileError        no file with that key
    ├── SourceError                 listing, statting, reading or cleaning up at a source failed
    │   ├── SourceEntryGoneError    the entry disappeared between listing and use
    │   ├── SourceReplacedError     a same-name re-upload replaced the entry read; it is kept
    │   ├── SourceAuthError         the server refused our credentials (not retried)
    │   └── ServerIdentityError     unknown or changed host key, untrusted TLS certificate
    ├── TransportError              moving bytes into the vault failed
    │   ├── SourceChangedError      the file changed while it was being copied
    │   ├── SizeMismatchError       the copied size differs from the source size
    │   ├── SizeLimitError          the source sent more than it listed or than max_bytes
    │   └── VaultConflictError      different bytes under an existing vault name (write-once)
    ├── VaultIntegrityError         a stored file no longer matches its recorded sha256
    ├── BytesPurgedError            a file's bytes were deleted under retention; no replay
    ├── DecryptError                PGP decryption failed
    │   ├── NotEncryptedError       the data is not PGP
    │   ├── EncryptedOnPlainFeedError  PGP data on a feed that declares decrypt: none
    │   ├── NoSecretKeyError        encrypted to a key we do not hold
    │   │   └── WrongKeyError       encrypted to another key than the feed's (or a passphrase)
    │   ├── AgentUnavailableError   gpg-agent failed the same way after every retry
    │   ├── BadPassphraseError      the key's passphrase is wrong or missing
    │   ├── CorruptDataError        truncated or damaged PGP data
    │   ├── SignatureError          a required signature is missing, bad or untrusted
    │   └── DecompressionLimitError the plaintext passed max_output_bytes or max_ratio
    ├── KeystoreError               keys cannot be imported or listed
    ├── FileRejectedError           refused: duplicate, constraint, unsafe entry; left at the source
    ├── StageOrderError             a stage ran before the stage it reads from
    ├── ParseError                  a data file cannot be parsed (line and reason)
    ├── ValidationFailedError       a failure-severity rule found problems
    ├── RuleError                   a rule cannot be evaluated (a custom rule raised, bad result)
    ├── ScrubError                  a scrub action cannot be applied
    ├── DeliveryError               a delivery target could not be written
    ├── ProcessingError             a processing job produced no output
    │   ├── ScriptError             its script cannot be loaded, raised, or returned no frame
    │   └── ContractError           its output breaks the job's columns contract
    ├── NotifyError                 a message could not be sent on a channel (comms)
    │   ├── ChannelUnavailableError the channel is down or refused for now; retried with backoff
    │   └── ChannelRejectedError    the channel refused the message for good (bad address, request)
    ├── DemoError                   the local demo cannot start (a port is taken, dagster missing)
    ├── FeedOnHoldError             an operator asked to run a file of a feed on hold (no --force)
    ├── UnexpectedError             a third-party or internal error, translated at a boundary
    ├── PushRefusedError            the upload API (`pvt serve`) refused a request: status, reason
    ├── UploadError                 `pvt upload`: a file was refused or the server is unreachable
    └── InstanceNotFoundError       the Dagster instance is not found (DAGSTER_HOME)
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pvt_dagster.masking import mask_message, mask_pii

log = logging.getLogger("pvt_dagster.errors")


class PvtError(Exception):
    """Base of every error PVT Intake raises on purpose. Its text is PII-masked wherever it is
    shown (a message may quote a file name, and a name may hold an SSN)."""

    def __str__(self) -> str:
        return mask_pii(super().__str__())


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a config file: where it is and what is wrong."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = ": ".join(part for part in (where, self.key) if part)
        return f"{prefix}: {self.message}" if prefix else self.message


class ConfigError(PvtError):
    """The config file is unreadable or invalid; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue] | str) -> None:
        if isinstance(issues, str):
            issues = [ConfigIssue(file="", line=None, key="", message=issues)]
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class ConfigNotFoundError(ConfigError):
    """No config file was found at any of the places we look."""


class UsageError(PvtError):
    """The command line names an unknown feed, file key or option."""


class LedgerError(PvtError):
    """The ledger cannot be used."""


class LedgerUnavailableError(LedgerError):
    """The ledger database cannot be reached or migrated."""


class UnknownFileError(LedgerError, UsageError):
    """No file with that key is in the ledger."""


class SourceError(PvtError):
    """Listing, statting, reading or cleaning up at a source failed."""


class SourceEntryGoneError(SourceError):
    """The entry disappeared between listing and use."""


class SourceReplacedError(SourceError):
    """The entry at the source is no longer the one that was read (a same-name re-upload):
    it is kept, never deleted unread."""


class SourceAuthError(SourceError):
    """The server refused our credentials; retrying would not help."""


class ServerIdentityError(SourceError):
    """The server's host key is unknown or changed, or its TLS certificate does not verify."""


class TransportError(PvtError):
    """Moving bytes from a source into the vault failed."""


class SourceChangedError(TransportError):
    """The file changed at the source while it was being copied; polling waits again."""


class SizeMismatchError(TransportError):
    """The number of bytes copied differs from the size the source reported."""


class SizeLimitError(TransportError):
    """The source sent more bytes than it listed, or more than ``max_bytes``: the copy was
    stopped at the limit and discarded (a lying or runaway source never fills the disk)."""


class VaultConflictError(TransportError):
    """Different bytes were about to be written under an existing vault name."""


class VaultIntegrityError(PvtError):
    """A stored file no longer matches the sha256 the ledger recorded for it."""


class StorageError(PvtError):
    """The object store that holds the vault and stage outputs (``storage:``) cannot be
    reached, read or written."""


class BytesPurgedError(PvtError):
    """A file's bytes were deleted on purpose under its client's retention (``pvt purge``);
    it cannot be replayed (``pvt replay`` exits 1)."""


class DecryptError(PvtError):
    """PGP decryption failed."""


class EncryptedOnPlainFeedError(DecryptError):
    """A PGP-encrypted file arrived on a feed that declares ``decrypt: none``."""


class NotEncryptedError(DecryptError):
    """The data is not PGP-encrypted."""


class NoSecretKeyError(DecryptError):
    """The file is encrypted to a key the keystore does not hold."""


class WrongKeyError(NoSecretKeyError):
    """The file is not encrypted to the feed's key: to another key (perhaps one the keystore
    holds for another feed) or to a passphrase only. It is never decrypted with another key."""


class AgentUnavailableError(DecryptError):
    """gpg could not talk to its agent (stopped, starting, busy) on every attempt."""


class BadPassphraseError(DecryptError):
    """The passphrase for the secret key is wrong or missing."""


class CorruptDataError(DecryptError):
    """The PGP data is truncated or damaged."""


class SignatureError(DecryptError):
    """A signature the feed requires is missing, bad, unverifiable or by an untrusted key."""


class DecompressionLimitError(DecryptError):
    """The plaintext grew past the feed's limit (bytes or ratio): a likely compression bomb."""


class KeystoreError(PvtError):
    """Keys cannot be imported, listed or found."""


class FileRejectedError(PvtError):
    """The file was refused (duplicate, constraint, unsafe entry); it stays at its source."""


class StageOrderError(PvtError):
    """A stage was asked to run before the stage it reads from completed."""


class ParseError(PvtError):
    """A data file cannot be parsed; the message names the line and the reason."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"line {line}: {message}")


class ValidationFailedError(PvtError):
    """One or more failure-severity rules found problems in a file."""


class RuleError(PvtError):
    """A rule cannot be evaluated: a custom rule raised or returned no boolean mask."""


class ScrubError(PvtError):
    """A scrub action cannot be applied."""


class DeliveryError(PvtError):
    """A delivery target could not be written."""


class ProcessingError(PvtError):
    """A processing job could not produce its output (an input is unreadable, a script
    failed, the output breaks its contract)."""


class ScriptError(ProcessingError):
    """A job's script cannot be loaded, raised, or returned something that is not a frame."""


class ContractError(ProcessingError):
    """A job's output breaks its ``columns`` contract (missing column, dtype, nulls)."""


class NotifyError(PvtError):
    """A message could not be sent on one of its channels."""


class ChannelUnavailableError(NotifyError):
    """The channel is down or refused for now (connection, 5xx, expired session): retried."""


class ChannelRejectedError(NotifyError):
    """The channel refused the message for good (unknown recipient, malformed request)."""


class DemoError(PvtError):
    """The local demo (``pvt demo run``) cannot start: a port is taken, dagster is missing."""


class FeedOnHoldError(PvtError):
    """A file of a feed on hold was asked to run without ``--force``."""


class PushRefusedError(PvtError):
    """The upload API refused a request: an HTTP ``status``, a ``reason`` safe to show the
    caller and to record (never a secret), and extra response ``headers``."""

    def __init__(self, status: int, reason: str, *,
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.reason, self.headers = status, reason, dict(headers or {})
        super().__init__(f"{status}: {reason}")


class UploadError(PvtError):
    """``pvt upload`` could not deliver: the server cannot be reached or is not trusted, or
    (``refused``) it refused the request."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        self.refused = refused
        super().__init__(message)


class InstanceNotFoundError(PvtError):
    """The Dagster instance the stages run in cannot be found (``DAGSTER_HOME``)."""


class UnexpectedError(PvtError):
    """A third-party or internal error, translated at a boundary: its type and masked text."""


def one_line(exc: BaseException) -> str:
    """A readable one-line error for the ledger, messages and the UI: our own errors' text, or
    a third-party error's type and masked message (quoted literals and PII shapes hidden)."""
    if isinstance(exc, PvtError):
        text = " ".join(str(exc).split()) or type(exc).__name__
        return text[:500]
    return f"{type(exc).__name__}: {mask_message(str(exc))}"


def masked_traceback(exc: BaseException) -> str:
    """The whole traceback of ``exc`` (causes included), every line masked."""
    lines = traceback.format_exception(exc)
    return "".join(mask_message(line) + "\n" for chunk in lines for line in chunk.splitlines())


@contextmanager
def translated_errors(where: str) -> Iterator[None]:
    """The boundary of our code (a Dagster step, a sensor, a CLI command): an error that is not
    a PvtError becomes an UnexpectedError with its type and masked text, and every error leaves
    with its chain cut (``from None``), so nothing a third-party error quoted reaches Dagster's
    storage or a terminal; the masked traceback goes to the debug log only."""
    try:
        yield
    except PvtError as exc:
        if exc.__cause__ is not None or (exc.__context__ is not None
                                         and not exc.__suppress_context__):
            log.debug("%s: %s\n%s", where, type(exc).__name__, masked_traceback(exc))
            exc.__cause__ = None  # the chain may quote data; our own text is masked
            exc.__suppress_context__ = True
        raise
    except Exception as exc:
        log.debug("%s: unexpected %s\n%s", where, type(exc).__name__, masked_traceback(exc))
        raise UnexpectedError(f"{where}: {one_line(exc)} (masked traceback in the debug "
                              "log)") from None
