"""Password hashing (argon2id) and bearer tokens (random secrets stored as SHA-256 digests).

Passwords are chosen by people, so they get a slow, memory-hard hash. Tokens are 256 random
bits: a fast digest is enough to make a stolen database useless, and it lets the server find a
token by its digest with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import MissingDependencyError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "TOKEN_PREFIX",
    "hash_password",
    "needs_rehash",
    "new_token",
    "token_digest",
    "verify_password",
    "waste_verification",
]

#: Every token starts with this, so secret scanners and people can recognise one.
TOKEN_PREFIX = "mlt_"

_lock = threading.Lock()
_hasher: PasswordHasher | None = None
_dummy_hash: str | None = None


def _password_hasher() -> PasswordHasher:
    global _hasher
    with _lock:
        if _hasher is None:
            try:
                from argon2 import PasswordHasher
            except ImportError:
                raise MissingDependencyError(
                    "argon2-cffi", extra="server", feature="server authentication"
                ) from None
            _hasher = PasswordHasher()
        return _hasher


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password`` (salted; includes its own parameters)."""
    return _password_hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash``; a malformed hash never matches."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether the hash uses weaker parameters than the current defaults."""
    return _password_hasher().check_needs_rehash(password_hash)


def waste_verification(password: str) -> None:
    """Spend as long as a real verification, so unknown user names cost the same time as
    wrong passwords and cannot be discovered by timing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_hex(16))
    verify_password(_dummy_hash, password)


def new_token() -> str:
    """Return a new bearer token: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the hex SHA-256 of a token, the form in which tokens are stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
