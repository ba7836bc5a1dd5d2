"""Users and tokens, kept in the tracking store's own database through SQLAlchemy Core.

The tables (``mltrack_users``, ``mltrack_tokens`` and ``mltrack_auth_failures``, the login
throttle's counters) have their own metadata and are created on first use, so a tracking database
gains them only when authentication is switched on, and the tracking schema's migrations never
need to know about them. A column added later (``mltrack_tokens.expires``) is added in place by
:meth:`AuthStore.ensure_tables`.

Secrets are compared in constant time: passwords by argon2's own verification, token digests and
user names with :func:`hmac.compare_digest` after the indexed lookup (the lookup itself is keyed
by a SHA-256 digest, whose prefix an attacker cannot steer, and MySQL's case-insensitive
collations must not let ``ADA`` log in as ``ada``).
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import jupyter_mltrack.server.auth.hashing as hashing
from jupyter_mltrack.errors import (
    AlreadyExistsError,
    InvalidParameterError,
    NotFoundError,
    Unauthenticated,
)
from jupyter_mltrack.server.auth.roles import Role
from jupyter_mltrack.store.sql.engine import WRITE_OPTION

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AuthStore",
    "TokenInfo",
    "User",
    "failures",
    "metadata",
    "parse_duration",
]

MIN_PASSWORD_LENGTH = 8
_MAX_NAME_LENGTH = 256

metadata = sa.MetaData()

users = sa.Table(
    "mltrack_users",
    metadata,
    sa.Column("name", sa.String(_MAX_NAME_LENGTH), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(512), nullable=False),
    sa.Column("created", sa.BigInteger, nullable=False),
)

tokens = sa.Table(
    "mltrack_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user", sa.String(_MAX_NAME_LENGTH), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.BigInteger, nullable=False),
    sa.Column("revoked", sa.BigInteger, nullable=True),
    sa.Column("expires", sa.BigInteger, nullable=True),  # epoch ms; None: never
)

#: Failed logins per ``user:<name>`` and ``address:<ip>`` (see ``throttle.py``).
failures = sa.Table(
    "mltrack_auth_failures",
    metadata,
    sa.Column("scope", sa.String(320), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("window_start", sa.BigInteger, nullable=False),
    sa.Column("locked_until", sa.BigInteger, nullable=False),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A user of the tracking server (never carries the password hash)."""

    name: str
    role: Role
    created: int
    #: When the credentials that proved this user stop working (epoch ms; an expiring token).
    valid_until: int | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI and the users API."""
        return {"username": self.name, "role": self.role.value, "created": self.created}


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """A bearer token's public facts; the secret itself is shown once, at creation."""

    id: str
    user: str
    created: int
    revoked: int | None = None
    expires: int | None = None

    def to_dict(self) -> dict[str, object]:
        """Return the JSON shape used by the CLI."""
        return {
            "id": self.id,
            "user": self.user,
            "created": self.created,
            "revoked": self.revoked,
            "expires": self.expires,
        }


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Return the seconds of a duration such as ``3600``, ``90m``, ``12h``, ``30d`` or ``2w``.

    Example:
        >>> parse_duration("12h")
        43200.0
    """
    value = text.strip().lower()
    unit = _UNITS.get(value[-1:], 0) if value else 0
    number = value[:-1] if unit else value
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise InvalidParameterError(
            f"Invalid duration {text!r}: use a positive number of seconds or a number with "
            "s, m, h, d or w, e.g. 90m, 12h, 30d"
        )
    return seconds


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check_name(name: str) -> str:
    # HTTP Basic splits "user:password" at the first colon, so a name may not contain one.
    if not name or not name.strip() or ":" in name or len(name) > _MAX_NAME_LENGTH:
        raise InvalidParameterError(
            f"Invalid user name {name!r}: use 1-{_MAX_NAME_LENGTH} characters without ':'"
        )
    return name.strip()


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameterError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        )
    return password


def _user(row: Sequence[Any]) -> User:
    return User(name=row[0], role=Role(row[1]), created=row[2])


class AuthStore:
    """Create, list, check and remove users and their bearer tokens.

    Example:
        >>> store = AuthStore(engine)  # doctest: +SKIP
        >>> store.create_user("ada", Role.WRITE, "correct horse")  # doctest: +SKIP
        >>> store.authenticate_password("ada", "correct horse").role  # doctest: +SKIP
        <Role.WRITE: 'write'>
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._ready = False

    def ensure_tables(self) -> None:
        """Create the users and tokens tables if they do not exist yet."""
        if self._ready:
            return
        try:
            metadata.create_all(self.engine, checkfirst=True)
        except sa.exc.SQLAlchemyError:
            # Another worker created them between our check and our CREATE; fine if they
            # exist now, the real error otherwise.
            if not sa.inspect(self.engine).has_table(failures.name):
                raise
        self._add_expires_column()
        self._ready = True

    def _add_expires_column(self) -> None:
        """Give a tokens table made before token expiry its ``expires`` column."""
        columns = {c["name"] for c in sa.inspect(self.engine).get_columns(tokens.name)}
        if "expires" in columns:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE {tokens.name} ADD COLUMN expires BIGINT"))
        except sa.exc.SQLAlchemyError:
            columns = {c["name"] for c in sa.inspect(self.engine).get_columns(tokens.name)}
            if "expires" not in columns:  # not another worker's ALTER winning the race
                raise

    def _connect(self, *, write: bool = False) -> sa.Connection:
        self.ensure_tables()
        conn = self.engine.connect()
        # SQLite: take the write lock up front (BEGIN IMMEDIATE), see store/sql/engine.py.
        return conn.execution_options(**{WRITE_OPTION: True}) if write else conn

    # --- users -----------------------------------------------------------------------------

    def create_user(self, name: str, role: Role, password: str) -> User:
        """Add a user; AlreadyExistsError if the name is taken."""
        name, password = _check_name(name), _check_password(password)
        user = User(name=name, role=Role(role), created=_now_ms())
        digest = hashing.hash_password(password)
        with self._connect(write=True) as conn, conn.begin():
            if self._find(conn, name) is not None:
                raise AlreadyExistsError(
                    f"User {name!r} already exists; change it with 'mltrack server users passwd'"
                )
            conn.execute(
                users.insert().values(
                    name=name, role=user.role.value, password_hash=digest, created=user.created
                )
            )
        return user

    def get_user(self, name: str) -> User:
        """Return the user called ``name``; NotFoundError if there is none."""
        with self._connect() as conn:
            row = self._find(conn, name)
        if row is None:
            raise NotFoundError(f"No user {name!r}; see 'mltrack server users list'")
        return _user(row)

    def list_users(self) -> list[User]:
        """Return every user, by name."""
        query = sa.select(users.c.name, users.c.role, users.c.created).order_by(users.c.name)
        with self._connect() as conn:
            return [_user(row) for row in conn.execute(query)]

    def delete_user(self, name: str) -> None:
        """Remove a user and every token of theirs."""
        with self._connect(write=True) as conn, conn.begin():
            if self._find(conn, name) is None:
                raise NotFoundError(f"No user {name!r}; see 'mltrack server users list'")
            conn.execute(tokens.delete().where(tokens.c.user == name))
            conn.execute(users.delete().where(users.c.name == name))

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password."""
        digest = hashing.hash_password(_check_password(password))
        self._update(name, password_hash=digest)

    def set_role(self, name: str, role: Role) -> None:
        """Change a user's role."""
        self._update(name, role=Role(role).value)

    def _update(self, name: str, **values: str) -> None:
        with self._connect(write=True) as conn, conn.begin():
            result = conn.execute(users.update().where(users.c.name == name).values(**values))
            if result.rowcount == 0:
                raise NotFoundError(f"No user {name!r}; see 'mltrack server users list'")

    def authenticate_password(self, name: str, password: str) -> User | None:
        """Return the user if ``password`` is theirs, else None (slow on purpose: argon2)."""
        query = sa.select(users.c.name, users.c.role, users.c.created, users.c.password_hash)
        with self._connect() as conn:
            row = conn.execute(query.where(users.c.name == name)).first()
        if row is None or not hmac.compare_digest(row[0].encode(), name.encode()):
            hashing.waste_verification(password)
            return None
        if not hashing.verify_password(row[3], password):
            return None
        if hashing.needs_rehash(row[3]):
            self._update(name, password_hash=hashing.hash_password(password))
        return User(name=row[0], role=Role(row[1]), created=row[2])

    @staticmethod
    def _find(conn: sa.Connection, name: str) -> Sequence[Any] | None:
        query = sa.select(users.c.name, users.c.role, users.c.created).where(users.c.name == name)
        return conn.execute(query).first()

    # --- tokens ----------------------------------------------------------------------------

    def create_token(self, user: str, *, expires_in: float | None = None) -> tuple[TokenInfo, str]:
        """Create a bearer token for ``user``; return its facts and the secret (shown once).

        Args:
            user: The token's owner.
            expires_in: Seconds until the token stops working; None for a token that works
                until it is revoked.
        """
        if expires_in is not None and not expires_in > 0:
            raise InvalidParameterError(
                f"A token's lifetime must be positive, got {expires_in!r} seconds; leave it out "
                "for a token that works until revoked"
            )
        secret = hashing.new_token()
        now = _now_ms()
        expires = None if expires_in is None else now + round(expires_in * 1000)
        info = TokenInfo(id=secrets.token_hex(6), user=user, created=now, expires=expires)
        with self._connect(write=True) as conn, conn.begin():
            if self._find(conn, user) is None:
                raise NotFoundError(
                    f"No user {user!r}; create one first with 'mltrack server users create'"
                )
            conn.execute(
                tokens.insert().values(
                    id=info.id,
                    user=user,
                    token_hash=hashing.token_digest(secret),
                    created=info.created,
                    expires=info.expires,
                )
            )
        return info, secret

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        """Return every token (of ``user`` if given), oldest first, revoked ones included."""
        c = tokens.c
        query = sa.select(c.id, c.user, c.created, c.revoked, c.expires)
        if user is not None:
            query = query.where(tokens.c.user == user)
        with self._connect() as conn:
            rows = conn.execute(query.order_by(tokens.c.created, tokens.c.id))
            return [
                TokenInfo(id=r[0], user=r[1], created=r[2], revoked=r[3], expires=r[4])
                for r in rows
            ]

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token by its id; revoking twice is harmless."""
        with self._connect(write=True) as conn, conn.begin():
            found = conn.execute(sa.select(tokens.c.revoked).where(tokens.c.id == token_id))
            row = found.first()
            if row is None:
                raise NotFoundError(
                    f"No token with id {token_id!r}; see 'mltrack server tokens list'"
                )
            if row[0] is None:
                update = tokens.update().where(tokens.c.id == token_id)
                conn.execute(update.values(revoked=_now_ms()))

    def authenticate_token(self, secret: str) -> User | None:
        """Return the owner of a valid, unrevoked token, else None.

        Raises:
            Unauthenticated: The token is known but expired (a clear message, not a bare 401).
        """
        if not secret.startswith(hashing.TOKEN_PREFIX):
            return None
        digest = hashing.token_digest(secret)
        query = (
            sa.select(
                users.c.name, users.c.role, users.c.created, tokens.c.token_hash, tokens.c.expires
            )
            .select_from(tokens.join(users, tokens.c.user == users.c.name))
            .where(tokens.c.token_hash == digest, tokens.c.revoked.is_(None))
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row[3], digest):
            return None
        if row[4] is not None and row[4] <= _now_ms():
            expired = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(row[4] / 1000))
            raise Unauthenticated(
                f"This bearer token expired at {expired}; ask an admin for a new one "
                f"('mltrack server tokens create {row[0]} --expires-in 30d')"
            )
        return User(name=row[0], role=Role(row[1]), created=row[2], valid_until=row[4])
