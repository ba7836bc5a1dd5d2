"""Roles and the rule that decides which role a request needs.

Three roles, each including the one below it: ``read`` may call every GET and the POST endpoints
that only read (searches, run counts), ``write`` may also create, log, update and delete runs,
and ``admin`` may also delete experiments and registered models and manage users. The rule
looks only at the method and the path, so it runs before any body is read.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PUBLIC_PATHS", "USERS_PREFIX", "Role", "required_role"]


class Role(StrEnum):
    """What a user may do; a higher role includes every lower one."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for read, 1 for write, 2 for admin."""
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """Return whether a user with this role may do what ``needed`` guards."""
        return self.rank >= needed.rank

    @classmethod
    def parse(cls, value: str) -> Role:
        """Return the role named ``value`` (case-insensitive) or raise a clear ValueError."""
        from jupyter_mltrack.errors import InvalidParameterError

        try:
            return cls(value.strip().lower())
        except ValueError:
            choices = ", ".join(role.value for role in cls)
            raise InvalidParameterError(
                f"Unknown role {value!r}; choose one of {choices}"
            ) from None


_RANKS = {Role.READ: 0, Role.WRITE: 1, Role.ADMIN: 2}

#: Paths anyone may call: load balancers and uptime checks do not log in.
PUBLIC_PATHS = frozenset({"/health"})

#: The user-management API (served by the auth middleware itself, admin only except for one's
#: own password).
USERS_PREFIX = "/api/2.0/mlflow/users/"

#: MLflow's route prefixes and mltrack's; the rest of the path names the endpoint.
_PREFIXES = (
    "/api/2.0/mlflow/",
    "/ajax-api/2.0/mlflow/",
    "/api/3.0/mlflow/",
    "/ajax-api/3.0/mlflow/",
    "/api/2.0/mltrack/",  # mltrack's own endpoints (server/routes/mltrack.py)
)

#: POST endpoints that only read: MLflow sends searches as POST because filters can be long.
_READ_POSTS = frozenset(
    {
        "experiments/search",
        "experiments/search-datasets",
        "runs/search",
        "logged-models/search",
        "registered-models/get-latest-versions",
        "model-versions/search",
        "registered-models/search",
        "runs/count",  # mltrack's: counts what runs/search would return
    }
)

#: Endpoints only admins may call, whatever the method: they destroy other people's work.
_ADMIN_ENDPOINTS = frozenset({"experiments/delete", "registered-models/delete"})

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _endpoint(path: str) -> str | None:
    for prefix in _PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix) :].rstrip("/")
    return None


def required_role(method: str, path: str) -> Role:
    """Return the role a request with this method and path needs.

    Example:
        >>> required_role("POST", "/api/2.0/mlflow/runs/search")
        <Role.READ: 'read'>
        >>> required_role("POST", "/api/2.0/mlflow/experiments/delete")
        <Role.ADMIN: 'admin'>
    """
    if path.startswith(USERS_PREFIX):
        return Role.ADMIN
    endpoint = _endpoint(path)
    if endpoint in _ADMIN_ENDPOINTS:
        return Role.ADMIN
    if method.upper() in _READ_METHODS:
        return Role.READ
    if method.upper() == "POST" and endpoint in _READ_POSTS:
        return Role.READ
    return Role.WRITE
