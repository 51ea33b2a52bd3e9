"""One file of a feed, decrypted (or copied) the way the feed's ``decrypt`` block says: the key
its patterns choose for the file's name, the passphrase, the decompression limits and the
required signers. The pipeline's decrypted stage and ``pvt rules preview|impact`` both use it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pvt_dagster.config import FeedRef, ImapSource
from pvt_dagster.decrypt.decryptor import (
    Decrypted,
    Limits,
    copy_plain,
    decrypt_file,
    looks_like_pgp,
)
from pvt_dagster.decrypt.keystore import Keystore
from pvt_dagster.errors import (
    ConfigError,
    DecryptError,
    EncryptedOnPlainFeedError,
    KeystoreError,
    NotEncryptedError,
    SignatureError,
)


def copy_for_plain_feed(feed: FeedRef, name: str, src: Path, dst: Path) -> Decrypted:
    """``src`` (a file called ``name``) copied into ``dst`` for a ``decrypt: none`` feed;
    EncryptedOnPlainFeedError if it is PGP data."""
    if required_signers(feed) is not None:
        raise SignatureError(f"{name} cannot be checked for the signature its source "
                             f"{feed.config.source} requires: feed {feed.qualified_name} "
                             "declares decrypt: none")
    if looks_like_pgp(src):
        raise EncryptedOnPlainFeedError(
            f"{name} is PGP-encrypted, but feed {feed.qualified_name} declares "
            "decrypt: none (give the feed a decrypt.key, or ask the client for plain files)")
    return copy_plain(src, dst)


def required_signers(feed: FeedRef) -> list[str] | None:
    """Fingerprints one of which must sign the feed's files, or None: the feed's own
    ``trusted_signers`` (with ``require_signature``), and those of an imap source that requires
    signed attachments (the default). With both, the feed's own list is the one that counts."""
    decrypt = feed.config.decrypt
    if decrypt != "none" and decrypt.require_signature:
        return decrypt.trusted_signers
    source = feed.client_config.sources.get(feed.config.source)
    return source.required_signers if isinstance(source, ImapSource) else None


def decrypt_for_feed(keystore: Keystore, feed: FeedRef, name: str, src: Path, dst: Path, *,
                     details: dict[str, Any] | None = None,
                     while_running: Callable[[], None] | None = None) -> Decrypted:
    """Decrypt ``src`` (a file called ``name``) into ``dst`` the way ``feed`` says: the key its
    patterns choose, the passphrase, the decompression limits and the required signers; what
    was used goes into ``details``. ``while_running``: work to do while gpg runs."""
    decrypt = feed.config.decrypt
    if decrypt == "none":
        raise DecryptError(f"feed {feed.qualified_name} declares decrypt: none")
    details = {} if details is None else details
    choice = decrypt.choose(name)
    if choice is None:
        raise KeystoreError(f"no decrypt.keys pattern of feed {feed.qualified_name} matches "
                            f"{name!r}")
    details.update({"key": choice.key, **({"pattern": choice.pattern} if choice.pattern
                                           else {})})
    if not looks_like_pgp(src):
        raise NotEncryptedError(
            f"{name} is not PGP-encrypted, but feed {feed.qualified_name} expects files "
            f"encrypted to {choice.key} (declare decrypt: none for a feed of plain files)")
    try:
        passphrase = choice.passphrase.resolve() if choice.passphrase else None
    except ConfigError as exc:
        raise KeystoreError(f"the passphrase for {choice.key} is not available: "
                            f"{exc}") from exc
    out = decrypt_file(keystore, src, dst, key=choice.key, passphrase=passphrase,
                       limits=Limits(decrypt.max_output_bytes, decrypt.max_ratio),
                       trusted_signers=required_signers(feed), while_running=while_running)
    details.update({"fingerprint": out.key_fingerprint,
                    **({"signer": out.signer} if out.signer else {}),
                    **({"key_expired_at": out.key_expired} if out.key_expired else {})})
    return out


def decrypt_or_copy(keystore: Keystore, feed: FeedRef, name: str, src: Path,
                    dst: Path) -> Decrypted:
    """What the decrypted stage makes of a file of ``feed``: a plain copy for a ``decrypt:
    none`` feed, else the decryption ``decrypt_for_feed`` does."""
    if feed.config.decrypt == "none":
        return copy_for_plain_feed(feed, name, src, dst)
    return decrypt_for_feed(keystore, feed, name, src, dst)
