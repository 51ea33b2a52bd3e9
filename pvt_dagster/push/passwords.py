"""Password hashes and token comparison for push users: argon2id hashes (what ``pvt push hash``
prints, via argon2-cffi), bcrypt hashes accepted too, tokens compared in constant time."""

from __future__ import annotations

import hmac

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's current recommended parameters
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_BCRYPT_MAX_BYTES = 72
# Verified when the user is unknown, so a wrong user name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("pvt push: no such user")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (PHC string ``$argon2id$...``)."""
    if not password:
        raise ValueError("the password is empty")
    hashed: str = _HASHER.hash(password)
    return hashed


def hash_kind(hashed: str) -> str | None:
    """``argon2`` or ``bcrypt`` for a hash this module can verify, else None."""
    if hashed.startswith("$argon2"):
        return "argon2"
    if hashed.startswith(_BCRYPT_PREFIXES):
        return "bcrypt"
    return None


def verify_password(hashed: str, password: str) -> bool:
    """Whether ``password`` matches ``hashed`` (argon2 or bcrypt); False for a malformed hash."""
    kind = hash_kind(hashed)
    if kind == "argon2":
        try:
            matched: bool = _HASHER.verify(hashed, password)
            return matched
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if kind == "bcrypt":
        secret = password.encode("utf-8")
        if len(secret) > _BCRYPT_MAX_BYTES:  # bcrypt would refuse (or truncate) it
            return False
        try:
            return bcrypt.checkpw(secret, hashed.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return False
    return False


def burn_verification(password: str) -> None:
    """Spend the time of one verification (for an unknown user), and always fail."""
    verify_password(_DUMMY_HASH, password)


def tokens_match(expected: str, offered: str) -> bool:
    """Whether two tokens are equal, compared in constant time."""
    return hmac.compare_digest(expected.encode("utf-8"), offered.encode("utf-8"))
