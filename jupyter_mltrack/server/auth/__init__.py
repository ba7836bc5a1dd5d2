"""Authentication and authorization for the tracking server.

Users (with argon2 password hashes) and bearer tokens (stored as SHA-256 digests) live in the
tracking database, in tables of their own. :class:`Authenticator` turns a Starlette app into one
that accepts HTTP Basic and ``Authorization: Bearer`` credentials and checks the user's
:class:`Role` against the request: ``read``, ``write`` or ``admin``.

Example:
    >>> from jupyter_mltrack.server.auth import AuthStore, Authenticator, Role
    >>> users = AuthStore(store.engine)  # doctest: +SKIP
    >>> users.create_user("ada", Role.WRITE, "correct horse")  # doctest: +SKIP
    >>> app = create_app(store, root, auth=Authenticator(users))  # doctest: +SKIP
"""

from __future__ import annotations

from jupyter_mltrack.server.auth.middleware import SCOPE_USER_KEY, Authenticator, AuthMiddleware
from jupyter_mltrack.server.auth.roles import Role, required_role
from jupyter_mltrack.server.auth.store import AuthStore, TokenInfo, User

__all__ = [
    "SCOPE_USER_KEY",
    "AuthMiddleware",
    "AuthStore",
    "Authenticator",
    "Role",
    "TokenInfo",
    "User",
    "required_role",
]
