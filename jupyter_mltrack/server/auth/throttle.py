"""The login throttle: after a few wrong passwords a user, or a client address, waits.

Counters live in the tracking database (``mltrack_auth_failures``), so every worker of
``mltrack server --workers N`` (and every machine serving the same database) sees the same
counts: a guesser cannot spread attempts over workers. Each failed login counts against the user
name *and* the client address; a scope that reaches its limit within the window is locked for
``lockout_seconds`` and every request for it gets 429 with ``Retry-After``, before any password
is checked. A successful login resets the user's counter. The address counter is left to expire
with its window: resetting it would let a guesser who owns one account clear it between guesses
at others.

Limits come from ``MLTRACK_SERVER_AUTH_MAX_FAILURES`` (per user, default 5),
``MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS`` (default 20), and
``MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS`` (the counting window and the lockout, default 300);
a limit of 0 switches that counter off.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from jupyter_mltrack._validation import env_number
from jupyter_mltrack.errors import Unauthenticated
from jupyter_mltrack.server.auth.store import failures
from jupyter_mltrack.store.sql.engine import WRITE_OPTION

__all__ = ["ENV_LOCKOUT", "ENV_MAX_FAILURES", "ENV_MAX_PER_ADDRESS", "LoginThrottle"]
__all__ += ["ThrottlePolicy", "TooManyAttempts"]

ENV_MAX_FAILURES = "MLTRACK_SERVER_AUTH_MAX_FAILURES"
ENV_MAX_PER_ADDRESS = "MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS"
ENV_LOCKOUT = "MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS"
_DEFAULT_MAX, _DEFAULT_MAX_PER_ADDRESS, _DEFAULT_LOCKOUT = 5, 20, 300.0


class TooManyAttempts(Unauthenticated):
    """Too many wrong credentials for a user or from an address: 429 with ``Retry-After``."""

    error_code = "REQUEST_LIMIT_EXCEEDED"
    http_status = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many failed logins for this user or from this address; try again in "
            f"{retry_after} s (or ask an admin to check the password with "
            "'mltrack server users passwd')"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottlePolicy:
    """How many failed logins are allowed per user and per address within a window.

    Attributes:
        max_failures: Failures per user name before it is locked (0: no per-user limit).
        max_failures_per_address: Failures per client address before it is locked (0: none).
        lockout_seconds: The counting window, and how long a lock lasts.
    """

    max_failures: int = _DEFAULT_MAX
    max_failures_per_address: int = _DEFAULT_MAX_PER_ADDRESS
    lockout_seconds: float = _DEFAULT_LOCKOUT

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ThrottlePolicy:
        """Read the policy from ``MLTRACK_SERVER_AUTH_*`` variables (defaults otherwise)."""
        env = os.environ if environ is None else environ
        return cls(
            max_failures=int(env_number(ENV_MAX_FAILURES, _DEFAULT_MAX, env)),
            max_failures_per_address=int(
                env_number(ENV_MAX_PER_ADDRESS, _DEFAULT_MAX_PER_ADDRESS, env)
            ),
            lockout_seconds=env_number(ENV_LOCKOUT, _DEFAULT_LOCKOUT, env),
        )

    def to_env(self) -> dict[str, str]:
        """The variables that make :meth:`from_env` rebuild this policy (for the workers)."""
        return {
            ENV_MAX_FAILURES: str(self.max_failures),
            ENV_MAX_PER_ADDRESS: str(self.max_failures_per_address),
            ENV_LOCKOUT: repr(self.lockout_seconds),
        }


def _scopes(policy: ThrottlePolicy, user: str | None, address: str | None) -> dict[str, int]:
    """``scope -> limit`` of the counters a login attempt touches."""
    scopes = {}
    if user and policy.max_failures > 0:
        scopes[f"user:{user}"[:320]] = policy.max_failures
    if address and policy.max_failures_per_address > 0:
        scopes[f"address:{address}"[:320]] = policy.max_failures_per_address
    return scopes


class LoginThrottle:
    """Failed-login counters in the database, shared by every worker (see the module doc)."""

    def __init__(
        self,
        engine: Engine,
        policy: ThrottlePolicy | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.policy = policy if policy is not None else ThrottlePolicy.from_env()
        self.clock = clock

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def check(self, user: str | None, address: str | None) -> None:
        """Raise :class:`TooManyAttempts` if the user or the address is locked now."""
        scopes = _scopes(self.policy, user, address)
        if not scopes:
            return
        query = sa.select(sa.func.max(failures.c.locked_until)).where(
            failures.c.scope.in_(list(scopes))
        )
        with self.engine.connect() as conn:
            locked_until = conn.execute(query).scalar()
        now = self._now_ms()
        if locked_until is not None and locked_until > now:
            raise TooManyAttempts(max(1, math.ceil((locked_until - now) / 1000)))

    def failed(self, user: str | None, address: str | None) -> None:
        """Count one failed login against the user and the address (locking them at the limit)."""
        scopes = _scopes(self.policy, user, address)
        if not scopes:
            return
        window = round(self.policy.lockout_seconds * 1000)
        try:
            self._count(scopes, window)
        except sa.exc.IntegrityError:  # another worker created a counter at the same moment
            self._count(scopes, window)

    def _count(self, scopes: dict[str, int], window: int) -> None:
        c = failures.c
        conn = self.engine.connect().execution_options(**{WRITE_OPTION: True})
        with conn, conn.begin():
            now = self._now_ms()
            found = conn.execute(
                sa.select(c.scope, c.failures, c.window_start, c.locked_until)
                .where(c.scope.in_(list(scopes)))
                .with_for_update()  # PostgreSQL/MySQL row locks; SQLite: BEGIN IMMEDIATE
            ).all()
            known = {row[0]: row[1:] for row in found}
            for scope, limit in scopes.items():
                count, start, locked = known.get(scope, (0, now, 0))
                if now - start >= window:
                    count, start = 0, now  # the old window is over: count afresh
                count += 1
                if count >= limit:
                    locked = now + window
                values = {"failures": count, "window_start": start, "locked_until": locked}
                if scope in known:
                    conn.execute(failures.update().where(c.scope == scope).values(**values))
                else:
                    conn.execute(failures.insert().values(scope=scope, **values))

    def succeeded(self, user: str) -> None:
        """Forget the user's failures after a successful login."""
        if self.policy.max_failures <= 0:
            return
        scope = failures.c.scope == f"user:{user}"[:320]
        with self.engine.connect() as conn:  # a read first: most logins have nothing to reset
            if conn.execute(sa.select(failures.c.failures).where(scope)).first() is None:
                return
        conn = self.engine.connect().execution_options(**{WRITE_OPTION: True})
        with conn, conn.begin():
            conn.execute(failures.delete().where(scope))
