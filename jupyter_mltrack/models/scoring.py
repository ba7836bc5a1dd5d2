"""The ``POST /invocations`` endpoint: read a request, predict, answer as MLflow does.

This is the hot path of the scoring server, so it is a bare ASGI app: no Request object, no
per-request logging, JSON from the standard library, and a fast path for plain numeric
``dataframe_split`` payloads. Requests of models that answer in under
:data:`INLINE_PREDICT_MS` run on the event loop (a hop to a worker thread would cost more than it
frees); slower models predict in a worker thread so ``/ping`` and other requests stay responsive.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidInputError, MissingDependencyError, MltrackError

if TYPE_CHECKING:
    from jupyter_mltrack.models.pyfunc import PyFuncModel
    from jupyter_mltrack.models.types import Schema

__all__ = [
    "CONTENT_TYPES",
    "INLINE_MAX_BODY_BYTES",
    "INLINE_PREDICT_MS",
    "Invocations",
    "predictions_to_json",
    "respond",
]

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"
PARQUET_TYPE = "application/vnd.apache.parquet"
CONTENT_TYPES = (JSON_TYPE, CSV_TYPE, PARQUET_TYPE)
#: Requests of models whose recent requests took less than this run on the event loop...
INLINE_PREDICT_MS = 5.0
#: ... if their body is at most this large; everything else predicts in a worker thread.
INLINE_MAX_BODY_BYTES = 64 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _HttpError(Exception):
    """A request that fails before the model sees it, with its HTTP status and error code."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = _error_body(error_code, message)


def predictions_to_json(predictions: Any) -> bytes:
    """Encode predictions as MLflow's scoring server does: ``{"predictions": ...}``.

    numpy arrays become (nested) lists; DataFrames become a list of row objects; a Series becomes
    a list of one-key row objects keyed by its name (``0`` when unnamed).
    """
    return json.dumps({"predictions": _jsonable(predictions)}, default=_encode_default).encode()


class Invocations:
    """The ``POST /invocations`` endpoint as a bare ASGI app (no per-request Request object)."""

    def __init__(self, model: PyFuncModel, *, max_body_bytes: int) -> None:
        self.model = model
        self.schema: Schema | None = model.metadata.get_input_schema()
        self.max_body_bytes = max_body_bytes
        self.double_columns = _double_columns(self.schema)
        #: A moving average of the time requests take; slow models predict in a worker thread.
        self.recent_ms = INLINE_PREDICT_MS  # unknown yet: start in a worker thread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            content_type = _content_type(scope)
            body = await _read_body(scope, receive, self.max_body_bytes)
        except _HttpError as exc:
            await respond(send, exc.status, exc.body)
            return
        if self.recent_ms < INLINE_PREDICT_MS and len(body) <= INLINE_MAX_BODY_BYTES:
            status, payload = self.invoke(body, content_type)
        else:
            loop = asyncio.get_running_loop()
            status, payload = await loop.run_in_executor(None, self.invoke, body, content_type)
        await respond(send, status, payload)

    def invoke(self, body: bytes, content_type: str) -> tuple[int, bytes]:
        """Parse, predict and encode one request; return the HTTP status and the JSON body."""
        start = time.perf_counter()
        try:
            return self._invoke(body, content_type)
        finally:
            elapsed_ms = (time.perf_counter() - start) * 1000.0
            self.recent_ms = 0.8 * self.recent_ms + 0.2 * elapsed_ms

    def _invoke(self, body: bytes, content_type: str) -> tuple[int, bytes]:
        try:
            data, params = self.parse(body, content_type)
        except MltrackError as exc:
            return exc.http_status, _error_body(exc.error_code, exc.message)
        except Exception as exc:  # e.g. RecursionError on absurdly nested JSON
            return 400, _error_body("BAD_REQUEST", f"Cannot read the request body: {exc!r}")
        try:
            predictions = self.model.predict(data, params=params)
        except MltrackError as exc:
            return exc.http_status, _error_body(exc.error_code, exc.message)
        except Exception as exc:  # the model's own failure must not take the server down
            # 400 BAD_REQUEST as MLflow's scoring server answers: the input passed the
            # signature, so the likeliest cause is data the model cannot take.
            logger.exception("The model raised while predicting")
            message = (
                f"The model raised {type(exc).__name__}: {exc}; check that the input is "
                "compatible with the model for inference"
            )
            return 400, _error_body("BAD_REQUEST", message)
        try:
            return 200, predictions_to_json(predictions)
        except Exception as exc:
            message = f"Cannot encode the model's output as JSON: {exc!r}"
            return 500, _error_body("INTERNAL_ERROR", message)

    def parse(self, body: bytes, content_type: str) -> tuple[Any, dict[str, Any] | None]:
        """Turn the request body into model input and params."""
        if content_type == PARQUET_TYPE:
            return _parse_parquet(body), None
        from jupyter_mltrack.models.serving_input import parse_serving_input

        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"The request body is not valid UTF-8: {exc}") from exc
        if content_type != JSON_TYPE:
            return parse_serving_input(text, content_type, schema=self.schema)
        try:
            payload = json.loads(text)
        except ValueError as exc:
            raise InvalidInputError(f"The request body is not valid JSON: {exc}") from exc
        if self.double_columns and isinstance(payload, dict):
            frame = _fast_split(payload, self.double_columns)
            if frame is not None:
                return frame, payload.get("params")
        if not isinstance(payload, dict):
            return parse_serving_input(text, content_type, schema=self.schema)
        return parse_serving_input(payload, content_type, schema=self.schema)


def _double_columns(schema: Schema | None) -> frozenset[str]:
    """Return the names of the schema's double columns when every column is a named double."""
    from jupyter_mltrack.models.types import ColSpec, DataType

    if schema is None or not schema.inputs or not schema.has_input_names():
        return frozenset()
    specs = schema.inputs
    if not all(isinstance(s, ColSpec) and s.type is DataType.double for s in specs):
        return frozenset()
    return frozenset(s.name for s in specs if s.name is not None)


def _fast_split(payload: dict[str, Any], double_columns: frozenset[str]) -> Any:
    """Build the frame of a plain numeric ``dataframe_split`` payload in one step, or None.

    For a schema of double columns, the general parser builds a DataFrame and casts each column
    to float64; when every value is a JSON number and every column is a schema column, one
    float64 array gives the same frame in a fraction of the time. Anything else returns None
    and takes the general path (which also produces its error messages).
    """
    split = payload.get("dataframe_split")
    if not isinstance(split, dict) or not payload.keys() <= {"dataframe_split", "params"}:
        return None
    columns, data = split.get("columns"), split.get("data")
    if split.keys() != {"columns", "data"} or not isinstance(columns, list) or not data:
        return None
    if not isinstance(data, list) or not all(type(c) is str for c in columns):
        return None
    params = payload.get("params")
    if not double_columns.issuperset(columns) or not (params is None or type(params) is dict):
        return None
    width = len(columns)
    for row in data:
        if type(row) is not list or len(row) != width:
            return None
        for value in row:
            if type(value) is not float and type(value) is not int:  # bool is not int here
                return None
    import numpy as np
    import pandas as pd

    try:
        array = np.array(data, dtype=np.float64)
    except OverflowError:  # an integer beyond float range: let the general path explain
        return None
    return pd.DataFrame(array, columns=columns)


def _content_type(scope: Scope) -> str:
    """Return the request's media type; refuse anything but JSON, CSV and Parquet in UTF-8."""
    raw = b""
    for name, value in scope["headers"]:
        if name == b"content-type":
            raw = value
            break
    media, _, parameters = raw.decode("latin-1").partition(";")
    media = media.strip().lower() or JSON_TYPE
    if media not in CONTENT_TYPES:
        raise _HttpError(
            415,
            "BAD_REQUEST",
            f"Unsupported content type {raw.decode('latin-1')!r}; "
            f"send one of {', '.join(CONTENT_TYPES)}",
        )
    charset = parameters.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=utf8"):
        raise _HttpError(415, "BAD_REQUEST", f"Only UTF-8 bodies are accepted; got {charset!r}")
    return media


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """Read the whole request body, refusing bodies over ``limit`` bytes with HTTP 413."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _HttpError(413, "BAD_REQUEST", _too_large(int(value), limit))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _HttpError(413, "BAD_REQUEST", _too_large(size, limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(size: int, limit: int) -> str:
    return f"The request body has {size:,} bytes or more; the limit is {limit:,} bytes"


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _error_body(error_code: str, message: str) -> bytes:
    return json.dumps({"error_code": error_code, "message": message}).encode()


def _parse_parquet(body: bytes) -> Any:
    import io

    import pandas as pd

    try:
        return pd.read_parquet(io.BytesIO(body))
    except ImportError as exc:
        raise MissingDependencyError("pyarrow", extra="parquet", feature="Parquet input") from exc
    except Exception as exc:  # pyarrow raises its own error types for malformed files
        raise InvalidInputError(f"The request body is not a valid Parquet file: {exc}") from exc


def _jsonable(data: Any) -> Any:
    """Convert numpy and pandas outputs the way MLflow's ``_get_jsonable_obj`` does."""
    module = type(data).__module__
    if module.startswith("numpy") and hasattr(data, "tolist"):
        return data.tolist()
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            return data.to_dict(orient="records")
        if isinstance(data, pd.Series):
            return pd.DataFrame(data).to_dict(orient="records")
    return data


def _encode_default(value: Any) -> Any:
    """Encode what the standard JSON encoder cannot: numpy scalars, bytes, dates, arrays."""
    import base64
    import datetime

    if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
        return value.tolist()
    if isinstance(value, bytes | bytearray):
        return base64.encodebytes(value).decode("ascii")
    if isinstance(value, datetime.date | datetime.time):  # also pandas Timestamp
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
