"""The user-management API, served by the auth middleware under ``/api/2.0/mlflow/users/``.

Its names follow MLflow's basic-auth API where one exists (``create``, ``get``,
``update-password``, ``delete``), with ``role`` instead of MLflow's ``is_admin`` flag. Admins may
call everything; any user may change their own password.

===========================  ======  ============================================  ===========
endpoint                     method  request                                       response
===========================  ======  ============================================  ===========
``users/create``             POST    ``{"username", "password", "role"}``          ``{"user"}``
``users/get``                GET     ``?username=``                                ``{"user"}``
``users/list``               GET     —                                             ``{"users"}``
``users/update-password``    PATCH   ``{"username", "password"}``                  ``{}``
``users/update-role``        PATCH   ``{"username", "role"}``                      ``{}``
``users/delete``             DELETE  ``{"username"}``                              ``{}``
===========================  ======  ============================================  ===========
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import (
    InvalidParameterError,
    MltrackError,
    NotFoundError,
    PermissionDenied,
)
from jupyter_mltrack.server.auth.responses import error_response
from jupyter_mltrack.server.auth.roles import USERS_PREFIX, Role

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import Receive, Scope, Send

    from jupyter_mltrack.server.auth.middleware import Authenticator
    from jupyter_mltrack.server.auth.store import User

__all__ = ["serve_users_api"]

_MAX_BODY_BYTES = 64 * 1024

Handler = Callable[["Authenticator", "User", dict[str, Any]], dict[str, Any]]


def _text(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(f"Missing value for required parameter {name!r}")
    return value


def _require_admin(user: User, what: str) -> None:
    if user.role is not Role.ADMIN:
        raise PermissionDenied(
            f"User {user.name!r} has the role {user.role.value!r}; only admins may {what}"
        )


def _create(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    _require_admin(user, "create users")
    role = Role.parse(str(msg.get("role") or Role.READ.value))
    created = auth.store.create_user(_text(msg, "username"), role, _text(msg, "password"))
    return {"user": created.to_dict()}


def _get(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    name = _text(msg, "username")
    if name != user.name:
        _require_admin(user, "look up other users")
    return {"user": auth.store.get_user(name).to_dict()}


def _list(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    _require_admin(user, "list users")
    return {"users": [u.to_dict() for u in auth.store.list_users()]}


def _update_password(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    name = _text(msg, "username")
    if name != user.name:
        _require_admin(user, "change other users' passwords")
    auth.store.set_password(name, _text(msg, "password"))
    return {}


def _update_role(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    _require_admin(user, "change roles")
    auth.store.set_role(_text(msg, "username"), Role.parse(_text(msg, "role")))
    return {}


def _delete(auth: Authenticator, user: User, msg: dict[str, Any]) -> dict[str, Any]:
    _require_admin(user, "delete users")
    auth.store.delete_user(_text(msg, "username"))
    return {}


#: Calls after which remembered credentials may be wrong (this worker forgets them at once).
_CHANGES_CREDENTIALS = frozenset({_update_password, _update_role, _delete})

_ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "create"): _create,
    ("GET", "get"): _get,
    ("GET", "list"): _list,
    ("PATCH", "update-password"): _update_password,
    ("PATCH", "update-role"): _update_role,
    ("DELETE", "delete"): _delete,
}


async def _message(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    body = await request.body()
    if len(body) > _MAX_BODY_BYTES:
        raise InvalidParameterError("The request body is too large for a users API call")
    try:
        message = json.loads(body) if body.strip() else {}
    except ValueError:
        raise InvalidParameterError("The request body is not valid JSON") from None
    if not isinstance(message, dict):
        raise InvalidParameterError("The request body must be a JSON object")
    return message


async def serve_users_api(
    auth: Authenticator, user: User, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one users API request made by the authenticated ``user``."""
    from anyio.to_thread import run_sync
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    request = Request(scope, receive)
    verb = scope["path"][len(USERS_PREFIX) :].strip("/")
    handler = _ROUTES.get((request.method, verb))
    respond: Callable[[Scope, Receive, Send], Awaitable[None]]
    try:
        if handler is None:
            known = ", ".join(f"{m} {USERS_PREFIX}{v}" for m, v in _ROUTES)
            raise NotFoundError(f"No users API endpoint {request.method} {scope['path']}; {known}")
        message = await _message(request)
        payload = await run_sync(handler, auth, user, message)
        if handler in _CHANGES_CREDENTIALS:
            auth.forget()  # here, on the event loop, which owns the cache
        respond = JSONResponse(payload)
    except MltrackError as exc:
        respond = error_response(exc)
    await respond(scope, receive, send)
