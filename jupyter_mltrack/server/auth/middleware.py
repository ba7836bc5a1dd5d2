"""The ASGI middleware that authenticates every request and checks the user's role.

Checking a password with argon2 takes tens of milliseconds on purpose, far more than logging a
metric. So verified credentials are remembered for a few seconds in a small LRU keyed by the
SHA-256 of the ``Authorization`` header (never the header itself), and concurrent requests with
the same new header share one verification. A revoked token or a changed password therefore stops
working within ``cache_seconds`` on every worker (at once on the worker that changed it).

Wrong credentials are throttled per user name and per client address (``throttle.py``): past the
limit a request gets 429 with ``Retry-After`` before any password is checked. Headers already
verified (cached) keep working, so a guesser cannot lock out a user's running jobs for longer
than the cache lasts. Nothing here logs a header, a user name or a password: a user name field is
where people paste passwords by mistake.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import MltrackError, PermissionDenied, StoreError, Unauthenticated
from jupyter_mltrack.server.auth.responses import error_response
from jupyter_mltrack.server.auth.roles import PUBLIC_PATHS, USERS_PREFIX, required_role
from jupyter_mltrack.server.auth.store import AuthStore, User
from jupyter_mltrack.server.auth.throttle import LoginThrottle, ThrottlePolicy, TooManyAttempts

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["DEFAULT_CACHE_SECONDS", "SCOPE_USER_KEY", "AuthMiddleware", "Authenticator"]

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SECONDS = 10.0
#: Failed credentials are remembered only briefly: a user created a moment ago must get in soon.
_NEGATIVE_CACHE_SECONDS = 2.0
_CACHE_SIZE = 4096

#: The authenticated :class:`User` is put in the ASGI scope under this key for the routes.
SCOPE_USER_KEY = "mltrack.user"

_NO_CREDENTIALS = (
    "This tracking server requires authentication: send HTTP Basic credentials "
    "(MLTRACK_TRACKING_USERNAME and MLTRACK_TRACKING_PASSWORD) or a bearer token "
    "(MLTRACK_TRACKING_TOKEN)"
)
_BAD_CREDENTIALS = (
    "The credentials were not accepted: unknown user, wrong password, or an invalid or revoked "
    "token"
)


class Authenticator:
    """Verifies ``Authorization`` headers against an :class:`AuthStore` and guards an app.

    Args:
        store: Where users and tokens live (the tracking database).
        cache_seconds: How long a verified header is trusted without asking the database.
        realm: The realm named in ``WWW-Authenticate``.
        throttle: Failed-login limits; by default from ``MLTRACK_SERVER_AUTH_*`` variables
            (see :mod:`~jupyter_mltrack.server.auth.throttle`).

    Example:
        >>> auth = Authenticator.for_engine(store.engine)  # doctest: +SKIP
        >>> app = create_app(store, artifact_root, auth=auth)  # doctest: +SKIP
    """

    def __init__(
        self,
        store: AuthStore,
        *,
        cache_seconds: float = DEFAULT_CACHE_SECONDS,
        realm: str = "mltrack",
        throttle: ThrottlePolicy | None = None,
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self.realm = realm
        self.throttle = LoginThrottle(store.engine, throttle)
        self._cache: OrderedDict[bytes, tuple[float, User | None]] = OrderedDict()
        self._pending: dict[bytes, asyncio.Future[User | None]] = {}

    @classmethod
    def for_engine(cls, engine: Engine, **options: Any) -> Authenticator:
        """Return an authenticator for the users stored in this database."""
        return cls(AuthStore(engine), **options)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """Return ``app`` behind authentication (creates the users tables if needed)."""
        self.store.ensure_tables()
        return AuthMiddleware(app, self)

    def forget(self) -> None:
        """Drop every remembered verification (after a password change or a revocation)."""
        self._cache.clear()

    async def authenticate(
        self, authorization: str | None, address: str | None = None
    ) -> User | None:
        """Return the user an ``Authorization`` header proves, or None.

        Raises:
            TooManyAttempts: The user or the client ``address`` failed too often lately.
            Unauthenticated: A known token has expired.
        """
        if not authorization:
            return None
        key = hashlib.sha256(authorization.encode()).digest()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            self._cache.move_to_end(key)
            return cached[1]
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[User | None] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            user: User | None = await _in_thread(self.verify, authorization, address)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited future logs nothing
            raise
        else:
            future.set_result(user)
        finally:
            del self._pending[key]
        self._remember(key, user)
        return user

    def verify(self, authorization: str, address: str | None = None) -> User | None:
        """Check a header against the database, uncached (blocking; argon2 for passwords).

        Failures count against the login throttle (user name and client ``address``).
        """
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            self.throttle.check(None, address)
            user = self.store.authenticate_token(value)
            if user is None:
                self.throttle.failed(None, address)
            return user
        credentials = _basic(value) if scheme.lower() == "basic" else None
        if credentials is None:
            self.throttle.failed(None, address)
            return None
        name, password = credentials
        self.throttle.check(name, address)
        found = self.store.authenticate_password(name, password)
        if found is None:
            self.throttle.failed(name, address)
        else:
            self.throttle.succeeded(name)
        return found

    def _remember(self, key: bytes, user: User | None) -> None:
        ttl = self.cache_seconds
        if user is None:
            ttl = min(ttl, _NEGATIVE_CACHE_SECONDS)
        elif user.valid_until is not None:  # an expiring token is not trusted past its end
            ttl = min(ttl, user.valid_until / 1000 - time.time())
        if ttl <= 0:
            return
        self._cache[key] = (time.monotonic() + ttl, user)
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)

    def challenge(self) -> dict[str, str]:
        """Return the ``WWW-Authenticate`` header that tells a client to log in."""
        return {"WWW-Authenticate": f'Basic realm="{self.realm}", charset="UTF-8"'}


class AuthMiddleware:
    """ASGI middleware: 401 without valid credentials, 403 without the needed role."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        header = _header(scope, b"authorization")
        client = scope.get("client")
        try:
            user = await self.auth.authenticate(header, client[0] if client else None)
        except TooManyAttempts as exc:
            logger.warning(
                "Refused a login from %s: too many failed logins (retry in %d s)",
                client[0] if client else "an unknown address",
                exc.retry_after,
            )
            await error_response(exc, {"Retry-After": str(exc.retry_after)})(scope, receive, send)
            return
        except MltrackError as exc:
            await error_response(exc)(scope, receive, send)
            return
        except Exception:  # the database is unreachable, say: a JSON 500, not a bare one
            logger.exception("Checking credentials for %s failed", scope["path"])
            broken = StoreError("Could not check the credentials; see the server log")
            await error_response(broken)(scope, receive, send)
            return
        if user is None:
            failure = Unauthenticated(_BAD_CREDENTIALS if header else _NO_CREDENTIALS)
            await error_response(failure, self.auth.challenge())(scope, receive, send)
            return
        scope = {**scope, SCOPE_USER_KEY: user}
        if scope["path"].startswith(USERS_PREFIX):
            from jupyter_mltrack.server.auth.users_api import serve_users_api

            await serve_users_api(self.auth, user, scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        needed = required_role(method, path)
        if not user.role.allows(needed):
            denied = PermissionDenied(
                f"User {user.name!r} has the role {user.role.value!r}, but {method} {path} "
                f"needs {needed.value!r}; ask an admin to change it with "
                f"'mltrack server users role {user.name} {needed.value}'"
            )
            await error_response(denied)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _basic(value: str) -> tuple[str, str] | None:
    """Return ``(name, password)`` of HTTP Basic credentials, or None if they are malformed."""
    if not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        text = decoded.decode("latin-1")
    name, sep, password = text.partition(":")
    return (name, password) if sep and name else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def _in_thread(fn: Any, *args: Any) -> Any:
    import anyio.to_thread

    return await anyio.to_thread.run_sync(fn, *args)
