"""``mltrack server``: the team tracking server, and its users and tokens.

``mltrack server`` serves MLflow's REST API over a database store with uvicorn; ``users`` and
``tokens`` manage who may use it when it runs with ``--auth``. They work on the database directly
(no server needs to run), so the first admin can be created before the server starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from jupyter_mltrack.cli._output import echo_json, echo_table, format_time

if TYPE_CHECKING:
    from jupyter_mltrack.server.asgi import ServerSettings
    from jupyter_mltrack.server.auth import AuthStore

__all__ = ["server"]

F = TypeVar("F", bound=Callable[..., Any])

_ROLES = ["read", "write", "admin"]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_BACKEND_KEY = "mltrack.server.backend_store_uri"


def _backend_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--backend-store-uri",
        envvar="MLTRACK_SERVER_BACKEND_STORE_URI",
        metavar="URI",
        help=help_text,
    )


backend_option = _backend_option(
    "The database of users and tokens: the server's --backend-store-uri "
    "[env MLTRACK_SERVER_BACKEND_STORE_URI; default: sqlite:///./mltrack/mltrack.db]."
)


@click.group(invoke_without_command=True)
@_backend_option(
    "Database for runs, models and users: sqlite:///path.db, postgresql://user@host/db or "
    "mysql://user@host/db [env MLTRACK_SERVER_BACKEND_STORE_URI; default: "
    "sqlite:///./mltrack/mltrack.db, the embedded store of this folder]."
)
@click.option(
    "--artifacts-destination",
    envvar="MLTRACK_SERVER_ARTIFACTS_DESTINATION",
    metavar="URI",
    help="Where proxied artifacts (mlflow-artifacts:/) are stored: a folder, file:// or "
    "s3://bucket/prefix (AWS_* credentials; MLTRACK_S3_ENDPOINT_URL for MinIO and other "
    "S3-compatible stores) [default: the 'artifacts' folder beside a SQLite database, else "
    "./mltrack/artifacts].",
)
@click.option(
    "--default-artifact-root",
    envvar="MLTRACK_SERVER_DEFAULT_ARTIFACT_ROOT",
    metavar="URI",
    help="Give new experiments <URI>/<experiment_id> as artifact location, which clients then "
    "read and write directly, not through this server: e.g. s3://bucket/mlruns (clients need "
    "its credentials; MLTRACK_S3_ENDPOINT_URL or MLFLOW_S3_ENDPOINT_URL for S3-compatible "
    "stores) or a shared folder (a relative path is made absolute here). Existing experiments "
    "keep their location [env MLTRACK_SERVER_DEFAULT_ARTIFACT_ROOT; default: "
    "mlflow-artifacts:/, proxied to --artifacts-destination].",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; use 0.0.0.0 to serve other machines (with --auth).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="TCP port."
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes; they share nothing but the database and the artifact destination.",
)
@click.option(
    "--auth",
    is_flag=True,
    envvar="MLTRACK_SERVER_AUTH",
    help="Require a user (HTTP Basic) or a bearer token on every request but /health.",
)
@click.option(
    "--auth-max-failures",
    type=click.IntRange(min=0),
    envvar="MLTRACK_SERVER_AUTH_MAX_FAILURES",
    default=5,
    show_default=True,
    help="With --auth: failed logins per user name before it gets 429 for "
    "--auth-lockout-seconds (0: no limit) [env MLTRACK_SERVER_AUTH_MAX_FAILURES].",
)
@click.option(
    "--auth-max-failures-per-address",
    type=click.IntRange(min=0),
    envvar="MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS",
    default=20,
    show_default=True,
    help="With --auth: failed logins per client address before it gets 429 (0: no limit) "
    "[env MLTRACK_SERVER_AUTH_MAX_FAILURES_PER_ADDRESS].",
)
@click.option(
    "--auth-lockout-seconds",
    type=click.FloatRange(min=0, min_open=True),
    envvar="MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS",
    default=300,
    show_default=True,
    help="With --auth: the window in which failed logins count, and how long a lockout lasts "
    "[env MLTRACK_SERVER_AUTH_LOCKOUT_SECONDS].",
)
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(min=0, min_open=True),
    default=1024,
    show_default=True,
    help="Largest artifact upload accepted, in MiB; larger ones get 413.",
)
@click.pass_context
def server(
    ctx: click.Context,
    backend_store_uri: str | None,
    artifacts_destination: str | None,
    default_artifact_root: str | None,
    host: str,
    port: int,
    workers: int,
    auth: bool,
    auth_max_failures: int,
    auth_max_failures_per_address: int,
    auth_lockout_seconds: float,
    max_upload_mb: float,
) -> None:
    """Run the tracking server (MLflow REST API 2.0) until Ctrl+C.

    Point clients at it with MLTRACK_TRACKING_URI=http://HOST:PORT; the mlflow client works
    with MLFLOW_TRACKING_URI=http://HOST:PORT. With --auth, create users first with
    'mltrack server users create'.
    """
    if ctx.invoked_subcommand is not None:
        # 'mltrack server --backend-store-uri X users list' means the users of X.
        ctx.meta[_BACKEND_KEY] = backend_store_uri
        return
    from jupyter_mltrack.server.asgi import ServerSettings
    from jupyter_mltrack.server.auth.throttle import ThrottlePolicy

    # The login throttle reads its limits from the environment, in this process and in every
    # worker uvicorn starts (they inherit it).
    os.environ.update(
        ThrottlePolicy(
            max_failures=auth_max_failures,
            max_failures_per_address=auth_max_failures_per_address,
            lockout_seconds=auth_lockout_seconds,
        ).to_env()
    )
    settings = ServerSettings.resolve(
        backend_store_uri=backend_store_uri,
        artifacts_destination=artifacts_destination,
        default_artifact_root=default_artifact_root,
        auth=auth,
        max_upload_mb=max_upload_mb,
        # No option of its own: taken from the environment, as the workers would take it.
        auth_cache_seconds=ServerSettings.from_env().auth_cache_seconds,
    )
    _serve(settings, host=host, port=port, workers=workers)


def _serve(settings: ServerSettings, *, host: str, port: int, workers: int) -> None:
    try:
        import uvicorn
    except ImportError:
        from jupyter_mltrack.errors import MissingDependencyError

        raise MissingDependencyError("uvicorn", extra="server", feature="mltrack server") from None
    from jupyter_mltrack.server.asgi import build_app, prepare_database
    from jupyter_mltrack.server.auth import AuthStore

    store = prepare_database(settings)
    no_users = settings.auth and not AuthStore(store.engine).list_users()
    # Built here even when workers rebuild it: a bad setting fails now, with one clear message,
    # instead of in every worker.
    app = build_app(settings, store)
    if workers > 1:
        store.close()  # the workers open their own
    if no_users:
        click.echo(
            "Warning: --auth is on but there are no users yet, so every request gets 401; "
            "create one with: mltrack server users create NAME --role admin "
            f"--backend-store-uri '{_masked(settings.backend_store_uri)}'",
            err=True,
        )
    if not settings.auth and host not in _LOOPBACK:
        click.echo(
            f"Warning: serving {host} without --auth: anyone who reaches it may read and write",
            err=True,
        )
    # The workers rebuild the app from these variables (see jupyter_mltrack/server/asgi.py).
    os.environ.update(settings.to_env())
    url_host = f"[{host}]" if ":" in host else host
    click.echo(
        f"mltrack server on http://{url_host}:{port} ({workers} worker"
        f"{'s' if workers > 1 else ''}, auth {'on' if settings.auth else 'off'})\n"
        f"  backend store:  {_masked(settings.backend_store_uri)}\n"
        f"  artifacts:      {_artifacts_line(settings)}\n"
        "Press Ctrl+C to stop.",
        err=True,
    )
    options: dict[str, Any] = {"host": host, "port": port, "access_log": False}
    options["log_level"] = "warning"
    if workers == 1:
        uvicorn.run(app, **options)
    else:
        target = "jupyter_mltrack.server.asgi:create_app_from_env"
        uvicorn.run(target, factory=True, workers=workers, **options)
    click.echo("mltrack server stopped.", err=True)


def _artifacts_line(settings: ServerSettings) -> str:
    if settings.default_artifact_root is None:
        return settings.artifacts_destination
    return (
        f"new experiments use {settings.default_artifact_root}/<id> directly; "
        f"proxy (mlflow-artifacts:/) to {settings.artifacts_destination}"
    )


def _masked(uri: str) -> str:
    from jupyter_mltrack.store.sql.store import mask_password

    return mask_password(uri)


def _auth_store(backend_store_uri: str | None) -> AuthStore:
    """Open the users/tokens tables in the server's database (creating its schema if new)."""
    from jupyter_mltrack.server.asgi import ServerSettings, prepare_database
    from jupyter_mltrack.server.auth import AuthStore

    if backend_store_uri is None:
        backend_store_uri = click.get_current_context().meta.get(_BACKEND_KEY)
    settings = ServerSettings.resolve(backend_store_uri=backend_store_uri, auth=True)
    return AuthStore(prepare_database(settings).engine)


def _password(given: str | None, name: str) -> str:
    if given is not None:
        return given
    text: str = click.prompt(
        f"Password for {name!r}", hide_input=True, confirmation_prompt=True, err=True
    )
    return text


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)


@server.group()
def users() -> None:
    """Create, list, change and delete the users of an --auth server."""


@users.command(name="create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(_ROLES),
    default="read",
    show_default=True,
    help="read: GETs and searches; write: also create and log; admin: also delete "
    "experiments and registered models and manage users.",
)
@click.option("--password", help="The password (prompted for, twice, when not given).")
@backend_option
def create_user(name: str, role: str, password: str | None, backend_store_uri: str | None) -> None:
    """Create the user NAME with a role and a password."""
    from jupyter_mltrack.server.auth import Role

    store = _auth_store(backend_store_uri)
    user = store.create_user(name, Role(role), _password(password, name))
    click.echo(f"Created user {user.name!r} with role {user.role.value}")


@users.command(name="list")
@format_option
@backend_option
def list_users(fmt: str, backend_store_uri: str | None) -> None:
    """List the users and their roles."""
    found = _auth_store(backend_store_uri).list_users()
    if fmt == "json":
        echo_json([user.to_dict() for user in found])
    elif not found:
        click.echo("No users.")
    else:
        echo_table(
            ["NAME", "ROLE", "CREATED"],
            [[u.name, u.role.value, format_time(u.created)] for u in found],
        )


@users.command(name="delete")
@click.argument("name")
@backend_option
def delete_user(name: str, backend_store_uri: str | None) -> None:
    """Delete the user NAME and all of their tokens."""
    _auth_store(backend_store_uri).delete_user(name)
    click.echo(f"Deleted user {name!r} and their tokens")


@users.command(name="passwd")
@click.argument("name")
@click.option("--password", help="The new password (prompted for, twice, when not given).")
@backend_option
def change_password(name: str, password: str | None, backend_store_uri: str | None) -> None:
    """Set a new password for the user NAME."""
    store = _auth_store(backend_store_uri)
    store.get_user(name)  # a clear error before prompting for a user that does not exist
    store.set_password(name, _password(password, name))
    click.echo(f"Changed the password of {name!r}")


@users.command(name="role")
@click.argument("name")
@click.argument("role", type=click.Choice(_ROLES))
@backend_option
def change_role(name: str, role: str, backend_store_uri: str | None) -> None:
    """Give the user NAME the role ROLE (read, write or admin)."""
    from jupyter_mltrack.server.auth import Role

    _auth_store(backend_store_uri).set_role(name, Role(role))
    click.echo(f"User {name!r} now has the role {role}")


@server.group()
def tokens() -> None:
    """Create, list and revoke bearer tokens (for MLTRACK_TRACKING_TOKEN)."""


@tokens.command(name="create")
@click.argument("name")
@click.option(
    "--expires-in",
    metavar="DURATION",
    help="Lifetime of the token, e.g. 3600, 90m, 12h, 30d; after it the server answers 401 "
    "'token expired' [default: until revoked].",
)
@backend_option
def create_token(name: str, expires_in: str | None, backend_store_uri: str | None) -> None:
    """Create a bearer token for the user NAME and print it (it is shown only this once)."""
    from jupyter_mltrack.server.auth.store import parse_duration

    lifetime = parse_duration(expires_in) if expires_in is not None else None
    info, secret = _auth_store(backend_store_uri).create_token(name, expires_in=lifetime)
    until = f", valid until {format_time(info.expires)}" if info.expires else ""
    click.echo(
        f"Created token {info.id} for {name!r}{until}; store it now, it is not shown again:",
        err=True,
    )
    click.echo(secret)


@tokens.command(name="list")
@click.option("--user", "user", metavar="NAME", help="Only this user's tokens.")
@format_option
@backend_option
def list_tokens(user: str | None, fmt: str, backend_store_uri: str | None) -> None:
    """List tokens (never their secrets), revoked ones included."""
    found = _auth_store(backend_store_uri).list_tokens(user)
    if fmt == "json":
        echo_json([token.to_dict() for token in found])
    elif not found:
        click.echo("No tokens.")
    else:
        rows = [
            [
                t.id,
                t.user,
                format_time(t.created),
                format_time(t.revoked) or "-",
                format_time(t.expires) or "never",
            ]
            for t in found
        ]
        echo_table(["ID", "USER", "CREATED", "REVOKED", "EXPIRES"], rows)


@tokens.command(name="revoke")
@click.argument("token_id", metavar="ID")
@backend_option
def revoke_token(token_id: str, backend_store_uri: str | None) -> None:
    """Revoke the token with this ID (see 'tokens list'); servers refuse it within seconds."""
    _auth_store(backend_store_uri).revoke_token(token_id)
    click.echo(f"Revoked token {token_id}")
