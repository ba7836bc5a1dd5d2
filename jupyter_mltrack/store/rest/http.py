"""HTTP plumbing of the REST store: one pooled, keep-alive client per tracking server.

:class:`HttpClient` speaks MLflow's REST conventions (protocol doc §0): ``GET`` messages go in
the query string, everything else as a JSON body; non-finite floats travel as the strings
``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; errors come back as ``{"error_code", "message"}``
and are raised as the matching :mod:`jupyter_mltrack.errors` class.

Connection errors, read timeouts and the statuses in :data:`RETRY_STATUSES` are retried with
exponential backoff (honouring ``Retry-After``), for writes (POST) too: each write carries an
``X-Mltrack-Request-Id`` that stays the same on every retry, so an mltrack server applies it
once. After the last try a :class:`ServerUnreachable` (a ``StoreError``) names the URL and the
cause. Settings come from the environment:

==========================================  ================================================
``MLTRACK_TRACKING_TOKEN``                  sent as ``Authorization: Bearer <token>``
``MLTRACK_TRACKING_USERNAME``/``_PASSWORD``  sent as HTTP Basic credentials
``MLFLOW_TRACKING_*`` (same names)           used when no ``MLTRACK_*`` credential is set
``MLTRACK_TRACKING_INSECURE_TLS=true``      skip TLS certificate verification
``MLTRACK_TRACKING_SERVER_CERT_PATH``       CA bundle to verify the server with
``MLTRACK_HTTP_REQUEST_MAX_RETRIES``        retries after the first try (default 5)
``MLTRACK_HTTP_REQUEST_BACKOFF_FACTOR``     first backoff in seconds, doubled per try (0.5)
``MLTRACK_HTTP_REQUEST_TIMEOUT``            seconds to wait for connect/read (120)
==========================================  ================================================
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import IO, Any, TypeAlias

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError

from jupyter_mltrack._validation import env_number
from jupyter_mltrack._version import __version__
from jupyter_mltrack.errors import (
    InvalidStateError,
    MltrackError,
    NotFoundError,
    StoreError,
    error_class_for_code,
)
from jupyter_mltrack.store.rest.wire import (
    REQUEST_ID_HEADER,
    ServerUnreachable,
    basic_auth,
    dumps,
    encode_query,
    new_request_id,
    split_credentials,
)

__all__ = [
    "RETRY_STATUSES",
    "HttpClient",
    "RequestBody",
    "ServerUnreachable",
    "forget_client",
    "last_server",
    "new_request_id",
    "remember_server",
    "shared_client",
]

logger = logging.getLogger(__name__)

# MLflow's answer to a write to a deleted run (our server sends the same words).
_DELETED_RUN = re.compile(r"The run (\w+) must be in the 'active' state\. Current state is deleted")

#: Statuses worth another try: timeouts, rate limits and a proxy/server that is restarting.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
MAX_BACKOFF_SECONDS = 60.0

#: Bytes, or a callable that opens the body afresh for each try (file uploads).
RequestBody: TypeAlias = bytes | Callable[[], IO[bytes]] | None


def _env(*names: str) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _truthy(text: str | None) -> bool:
    return (text or "").lower() in ("1", "true", "yes", "on")


def _clear_pool(ref: weakref.ref[urllib3.PoolManager]) -> None:
    pool = ref()
    if pool is not None:
        pool.clear()


class HttpClient:
    """A keep-alive connection pool to one server, with retries and MLflow error mapping.

    Args:
        base_url: ``http(s)://host:port[/prefix]``; ``user:password@`` in it is used as Basic
            credentials when the environment names none.
        max_retries: Retries after the first try (default from the environment, else 5).
        backoff_factor: Seconds before the first retry, doubled per retry (default 0.5).
        timeout: Connect and read timeout in seconds (default 120).

    Example:
        >>> client = HttpClient("http://127.0.0.1:5000")  # doctest: +SKIP
        >>> client.call("GET", "experiments/get", {"experiment_id": "0"})  # doctest: +SKIP
        {'experiment': {...}}
    """

    def __init__(
        self,
        base_url: str,
        *,
        max_retries: int | None = None,
        backoff_factor: float | None = None,
        timeout: float | None = None,
    ) -> None:
        url, self._url_credentials = split_credentials(base_url.rstrip("/"))
        self.base_url = url
        if max_retries is None:
            max_retries = int(env_number("MLTRACK_HTTP_REQUEST_MAX_RETRIES", 5))
        self.max_retries = max_retries
        self.backoff_factor = (
            env_number("MLTRACK_HTTP_REQUEST_BACKOFF_FACTOR", 0.5)
            if backoff_factor is None
            else backoff_factor
        )
        self.timeout = (
            env_number("MLTRACK_HTTP_REQUEST_TIMEOUT", 120) if timeout is None else timeout
        )
        self.pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=16,
            retries=False,
            timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
            **self._tls_options(),
        )
        # A forked child (multiprocessing, papermill workers) must not share the parent's
        # sockets; it opens its own on first use.
        pool = weakref.ref(self.pool)
        os.register_at_fork(after_in_child=lambda: _clear_pool(pool))

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r})"

    def close(self) -> None:
        """Close every pooled connection."""
        self.pool.clear()

    @staticmethod
    def _tls_options() -> dict[str, Any]:
        if _truthy(_env("MLTRACK_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS")):
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            return {"cert_reqs": "CERT_NONE"}
        ca_file = _env("MLTRACK_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_SERVER_CERT_PATH")
        if ca_file:
            return {"cert_reqs": "CERT_REQUIRED", "ca_certs": ca_file}
        return {}

    def auth_header(self) -> str | None:
        """Return the ``Authorization`` header value from the environment or the URL, if any.

        ``MLTRACK_*`` settings win over ``MLFLOW_*`` ones; within one prefix a username and
        password win over a token (as in MLflow).
        """
        for prefix in ("MLTRACK_TRACKING_", "MLFLOW_TRACKING_"):
            user = _env(prefix + "USERNAME")
            password = os.environ.get(prefix + "PASSWORD")
            if user is not None and password is not None:
                return basic_auth(user, password)
            token = _env(prefix + "TOKEN")
            if token is not None:
                return f"Bearer {token}"
        if self._url_credentials is not None:
            return basic_auth(*self._url_credentials)
        return None

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return the headers of every request, plus ``extra``."""
        headers = {"User-Agent": f"jupyter_mltrack/{__version__}", "Accept-Encoding": "gzip"}
        auth = self.auth_header()
        if auth is not None:
            headers["Authorization"] = auth
        if extra:
            headers.update(extra)
        return headers

    # -- JSON endpoints -------------------------------------------------------------------------
    def call(
        self,
        method: str,
        endpoint: str,
        message: Mapping[str, Any] | None = None,
        *,
        api: str = "/api/2.0/mlflow/",
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Call a JSON endpoint and return the decoded answer (``{}`` for an empty body).

        ``GET`` sends ``message`` as the query string, other methods as a JSON body.

        Raises:
            MltrackError: The server answered with an error; the subclass follows its
                ``error_code`` (e.g. NotFoundError for ``RESOURCE_DOES_NOT_EXIST``).
            ServerUnreachable: The server stayed unreachable or kept answering 502-504/429
                after every retry (a StoreError).
        """
        path = api + endpoint
        response = self.send(method, path, message, request_id=request_id)
        return self.decode(response, method, path)

    def send(
        self,
        method: str,
        path: str,
        message: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send ``message`` to ``path`` (query string for ``GET``, else a JSON body), undecoded.

        Every other method carries a client request id (``request_id``, else a new one), the
        same on each retry: an mltrack server applies a retried write once.
        """
        if method == "GET":
            query = encode_query(message or {})
            return self.request(method, path + (f"?{query}" if query else ""))
        headers = {
            "Content-Type": "application/json",
            REQUEST_ID_HEADER: request_id or new_request_id(),
        }
        return self.request(method, path, body=dumps(message or {}), headers=headers)

    def decode(self, response: urllib3.BaseHTTPResponse, method: str, path: str) -> dict[str, Any]:
        """Return the JSON object of a response, or raise the error it carries."""
        if response.status >= 400:
            raise self.error(response, method, path)
        data = response.data
        if not data.strip():
            return {}
        try:
            decoded = json.loads(data)
        except ValueError:
            raise StoreError(
                f"{method} {self.base_url}{path} answered HTTP {response.status} with a body "
                f"that is not JSON: {data[:200]!r}; is this a tracking server?"
            ) from None
        if not isinstance(decoded, dict):
            raise StoreError(f"{method} {self.base_url}{path} answered non-object JSON")
        return decoded

    def error(self, response: urllib3.BaseHTTPResponse, method: str, path: str) -> MltrackError:
        """Build the exception for an error response (MLflow error JSON or a bare status)."""
        where = f"{method} {self.base_url}{path}"
        try:
            payload = json.loads(response.data or b"null")
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("error_code"), str):
            code = payload["error_code"]
            message = str(payload.get("message") or f"{code} from {where}")
            cls = error_class_for_code(code)
            deleted_run = _DELETED_RUN.match(message)
            if deleted_run:  # MLflow's words for a write to a deleted run: our error, our words
                return InvalidStateError.run_deleted(deleted_run.group(1))
            if cls is MltrackError:  # a code without a class of its own: say where it came from
                return StoreError(f"{where} failed with HTTP {response.status} {code}: {message}")
            return cls(message)
        if response.status == 404:
            return NotFoundError(
                f"{where} answered HTTP 404 without an MLflow error: the server has no such "
                "endpoint; check that the tracking URI points at an mltrack or MLflow server"
            )
        text = (response.data or b"")[:200].decode("utf-8", "replace")
        return StoreError(f"{where} failed with HTTP {response.status}: {text}")

    # -- raw requests ---------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        body: RequestBody = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request, retrying connection errors and :data:`RETRY_STATUSES`.

        ``path`` starts with ``/`` (query string included). With ``stream=True`` the body is
        not read; the caller reads it and calls ``release_conn()``. The returned response may
        carry any status; only retry exhaustion raises.
        """
        url = self.base_url + path
        all_headers = self.headers(headers)
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._send(method, url, body, all_headers, stream)
            except Urllib3Error as exc:
                if last:
                    raise ServerUnreachable(
                        f"Could not reach the tracking server: {method} {url} failed after "
                        f"{attempts} attempt(s): {_cause(exc)}; check that the server is running "
                        "and that the tracking URI is right"
                    ) from exc
                # A kept-alive connection the server closed meanwhile: retry at once, once.
                stale = attempt == 0 and isinstance(exc, ProtocolError)
                self._wait(attempt, None, f"{method} {url}: {_cause(exc)}", immediately=stale)
                continue
            if response.status not in RETRY_STATUSES or _wait_too_long(response):
                return response
            if last:
                detail = _error_text(response)
                raise ServerUnreachable(
                    f"{method} {url} still answered HTTP {response.status}{detail} after "
                    f"{attempts} attempt(s); the server is overloaded or restarting, try again "
                    "later (MLTRACK_HTTP_REQUEST_MAX_RETRIES sets how often to retry)"
                )
            retry_after = response.headers.get("Retry-After")
            response.drain_conn()
            response.release_conn()
            self._wait(attempt, retry_after, f"{method} {url}: HTTP {response.status}")
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        url: str,
        body: RequestBody,
        headers: dict[str, str],
        stream: bool,
    ) -> urllib3.BaseHTTPResponse:
        if callable(body):
            with body() as handle:
                return self.pool.request(
                    method, url, body=handle, headers=headers, preload_content=not stream
                )
        return self.pool.request(
            method, url, body=body, headers=headers, preload_content=not stream
        )

    def _wait(
        self, attempt: int, retry_after: str | None, what: str, *, immediately: bool = False
    ) -> None:
        delay = 0.0 if immediately else min(self.backoff_factor * (2**attempt), MAX_BACKOFF_SECONDS)
        if retry_after:
            # An HTTP date instead of seconds is rare; the backoff is a fine approximation then.
            with contextlib.suppress(ValueError):
                delay = max(delay, min(float(retry_after), MAX_BACKOFF_SECONDS))
        logger.warning("Retrying in %.1fs (attempt %d): %s", delay, attempt + 2, what)
        time.sleep(delay)


def _wait_too_long(response: urllib3.BaseHTTPResponse) -> bool:
    """A 429 asking for more than we would ever wait (a login lockout): report it at once."""
    if response.status != 429:
        return False
    try:
        return float(response.headers.get("Retry-After") or 0) > MAX_BACKOFF_SECONDS
    except ValueError:
        return False


_clients: dict[str, HttpClient] = {}
_clients_lock = threading.Lock()
_last_server: str | None = None


def shared_client(uri: str) -> HttpClient:
    """Return the process-wide client of a server URL, creating it on first use.

    The REST store and the artifact repositories of one server share its connection pool.
    """
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            client = _clients[uri] = HttpClient(uri)
        return client


def forget_client(client: HttpClient) -> None:
    """Close ``client``'s idle connections and stop handing it out (it stays usable)."""
    with _clients_lock:
        for uri in [u for u, c in _clients.items() if c is client]:
            del _clients[uri]
    client.close()


def remember_server(uri: str) -> None:
    """Note the tracking server a REST store was opened for (see :func:`last_server`)."""
    global _last_server
    _last_server = uri


def last_server() -> str | None:
    """The URL of the server a REST store was most recently opened for, if any."""
    return _last_server


def _error_text(response: urllib3.BaseHTTPResponse) -> str:
    """``": <message>"`` of an error response's body, read in full; empty if there is none."""
    try:
        data = response.data  # reads a streamed body too
    except Urllib3Error:
        return ""
    finally:
        response.release_conn()
    try:
        payload = json.loads(data or b"null")
    except ValueError:
        payload = None
    if isinstance(payload, dict) and payload.get("message"):
        return f" ({payload.get('error_code', 'error')}: {payload['message']})"
    text = (data or b"").decode("utf-8", "replace").strip()[:200]
    return f" ({text})" if text else ""


def _cause(exc: BaseException) -> str:
    """The innermost useful message of a urllib3 error (e.g. 'Connection refused')."""
    reason = getattr(exc, "reason", None)
    inner = reason if isinstance(reason, BaseException) else exc
    text = str(inner)
    # urllib3 prefixes "<HTTPConnection object at 0x...>: "; the cause is what follows.
    return text.split(">: ", 1)[-1] or type(inner).__name__
