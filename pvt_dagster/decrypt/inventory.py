"""Which keys the config uses and what the keystore holds: ``pvt keys list`` and the key checks
of ``pvt config check`` (missing keys are errors, keys expiring within 30 days warnings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pvt_dagster.config import PvtConfig
from pvt_dagster.decrypt.keystore import KeyInfo, Keystore, matches

KeyPath = tuple[str | int, ...]
EXPIRY_WARNING = timedelta(days=30)


@dataclass(frozen=True)
class KeyUse:
    """One place the config names a key: the feed, as decryption key or trusted signer."""

    feed: str  # client/feed
    role: Literal["decrypt", "signer"]
    ident: str
    path: KeyPath  # where it is in pvt.yaml


@dataclass
class KeyEntry:
    """One key of the keystore with the feeds that use it."""

    info: KeyInfo
    secret: bool
    subkeys: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)  # decryption
    signer_for: list[str] = field(default_factory=list)

    def json(self) -> dict[str, object]:
        """The ``pvt keys list --json`` shape of this key."""
        expires = self.info.expires
        return {"fingerprint": self.info.fingerprint, "uids": list(self.info.uids),
                "expires": (expires.isoformat(timespec="seconds").replace("+00:00", "Z")
                            if expires else None),
                "secret": self.secret, "feeds": self.feeds, "signer_for": self.signer_for}


def key_uses(config: PvtConfig) -> list[KeyUse]:
    """Every key the config names, in config order."""
    uses: list[KeyUse] = []
    for feed in config.feeds():
        decrypt = feed.config.decrypt
        if decrypt == "none":
            continue
        at: KeyPath = ("clients", feed.client, "feeds", feed.name, "decrypt")
        for sub, ident in decrypt.all_keys():
            uses.append(KeyUse(feed.qualified_name, "decrypt", ident, (*at, *sub)))
        for index, fpr in enumerate(decrypt.trusted_signers):
            uses.append(KeyUse(feed.qualified_name, "signer", fpr,
                               (*at, "trusted_signers", index)))
    return uses


def inventory(keystore: Keystore, config: PvtConfig | None) -> tuple[list[KeyEntry],
                                                                     list[KeyUse]]:
    """Every public key (marked when its secret is held) with its uses, and the uses that
    name no key in the keystore."""
    secret = {info.fingerprint for info in keystore.list_keys(secret=True)}
    entries = [KeyEntry(info, info.fingerprint in secret, subkeys)
               for info, subkeys in keystore.keys_with_subkeys()]
    missing: list[KeyUse] = []
    for use in key_uses(config) if config else []:
        entry = next((e for e in entries if matches(e.info, use.ident, e.subkeys)), None)
        if entry is None or (use.role == "decrypt" and not entry.secret):
            missing.append(use)
            continue
        target = entry.feeds if use.role == "decrypt" else entry.signer_for
        if use.feed not in target:
            target.append(use.feed)
    return entries, missing


@dataclass(frozen=True)
class KeyProblem:
    """A finding of the key checks: an error or a warning about a place in pvt.yaml."""

    level: Literal["error", "warning"]
    path: KeyPath
    message: str


def key_problems(keystore: Keystore | None, config: PvtConfig, now: datetime) -> list[KeyProblem]:
    """Missing keys (errors) and keys that expired or expire within 30 days (warnings).
    ``keystore`` None means its folder does not exist yet."""
    uses = key_uses(config)
    if not uses:
        return []
    if keystore is None:
        return [KeyProblem("error", u.path, f"key {u.ident} is not in the keystore: "
                           f"{config.gnupghome} does not exist (pvt keys import FILE)")
                for u in uses]
    entries, missing = inventory(keystore, config)
    problems = []
    for use in missing:
        what = ("no secret key for" if use.role == "decrypt" else "no public key for signer")
        problems.append(KeyProblem("error", use.path, f"{what} {use.ident} in the keystore "
                                   f"{config.gnupghome} (pvt keys import FILE)"))
    for use in uses:
        if use in missing:
            continue
        entry = next(e for e in entries if matches(e.info, use.ident, e.subkeys))
        expires = entry.info.expires
        if expires is None or expires - now > EXPIRY_WARNING:
            continue
        when = f"{expires:%Y-%m-%d}"
        text = (f"key {use.ident} ({entry.info.fingerprint}) expired on {when}"
                if expires <= now else
                f"key {use.ident} ({entry.info.fingerprint}) expires on {when}, within "
                f"{EXPIRY_WARNING.days} days")
        problems.append(KeyProblem("warning", use.path, text))
    return problems
