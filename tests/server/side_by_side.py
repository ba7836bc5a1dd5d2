"""The request script and the comparison rules of ``test_mlflow_side_by_side.py``.

A :class:`Step` is one raw HTTP request. Its body may depend on ids an earlier step got back
(``State``), since the two servers hand out different ids; ``save`` records them. Responses are
normalised before comparison: each server's ids become ``<run>``, ``<exp>``... in every string,
and values that differ by nature (timestamps, generated names) are blanked.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"

#: Keys whose values differ between two servers by nature: clocks and generated names.
BLANKED = re.compile(
    r".*(_time|timestamp|_timestamp_ms)$|^(user_id|run_name|name_generated|file_size|root_uri)$"
)


@dataclass
class State:
    """Ids one server handed out, by placeholder (``exp``, ``run``, ``model``...)."""

    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]

    def normalise(self, text: str) -> str:
        """Replace every id this server gave out by its placeholder (longest first)."""
        for name, value in sorted(self.ids.items(), key=lambda kv: -len(kv[1])):
            if len(value) > 2:  # experiment ids like "1" would replace digits everywhere
                text = text.replace(value, f"<{name}>")
        return text


Body = dict[str, Any] | Callable[[State], dict[str, Any]] | None
Saver = Callable[[dict[str, Any], State], None]


@dataclass
class Step:
    """One request: ``GET`` bodies go in the query string, others as JSON."""

    name: str
    method: str
    path: str | Callable[[State], str]
    body: Body = None
    save: Saver | None = None
    raw: bytes | None = None  # a raw body (artifact uploads), sent as octet-stream


@dataclass
class Answer:
    """What a server answered to a step, normalised."""

    status: int
    payload: Any  # the normalised JSON, or the body text
    headers: dict[str, str]  # names in lower case


def send(base: str, step: Step, state: State) -> Answer:
    """Send ``step`` to the server at ``base``; return the normalised answer."""
    path = step.path(state) if callable(step.path) else step.path
    body = step.body(state) if callable(step.body) else step.body
    url, data, content_type = base + path, None, "application/json"
    if step.raw is not None:
        data, content_type = step.raw, "application/octet-stream"
    elif step.method == "GET" and body:
        url += "?" + urllib.parse.urlencode(body, doseq=True)
    elif body is not None:
        data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=step.method)
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text, headers = response.status, response.read(), _lower(response.headers)
    except urllib.error.HTTPError as exc:
        status, text, headers = exc.code, exc.read(), _lower(exc.headers)
    try:
        payload: Any = json.loads(text) if text else None
    except ValueError:
        payload = text.decode(errors="replace")[:200]
    if status == 200 and step.save is not None and isinstance(payload, dict):
        step.save(payload, state)
    return Answer(status, _normalise(payload, state), headers)


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _normalise(value: Any, state: State, key: str = "") -> Any:
    if BLANKED.match(key):
        return "<blanked>"
    if isinstance(value, dict):
        if set(value) >= {"error_code", "message"}:  # MLflow 3 adds sqlstate and error_class
            return {
                "error_code": value["error_code"],
                "message": state.normalise(str(value["message"])),
            }
        return {k: _normalise(v, state, k) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v, state, key) for v in value]
        if items and all(isinstance(i, dict) and "key" in i for i in items):
            items.sort(key=lambda i: str(i["key"]))  # tags/params/metrics: order means nothing
        elif key == "latest_versions":  # one per stage; MLflow's own order varies by route
            items.sort(key=lambda i: int(i["version"]))
        return items
    if isinstance(value, str):
        return state.normalise(value)
    return value


def difference(mlflow: Answer, ours: Answer) -> str | None:
    """Describe how two answers differ (status, then the first differing JSON path), or
    ``None`` when they agree."""
    if mlflow.status != ours.status:
        return f"status {mlflow.status} != {ours.status}: {mlflow.payload!r} / {ours.payload!r}"
    return _first_difference(mlflow.payload, ours.payload, "")


def _first_difference(theirs: Any, ours: Any, path: str) -> str | None:
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(set(theirs) | set(ours)):
            if key not in ours:
                return f"{path}.{key}: only MLflow has it ({json.dumps(theirs[key])[:300]})"
            if key not in theirs:
                return f"{path}.{key}: only ours has it ({json.dumps(ours[key])[:300]})"
            found = _first_difference(theirs[key], ours[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        for index, (a, b) in enumerate(zip(theirs, ours, strict=True)):
            found = _first_difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    if theirs != ours:
        return f"{path or '/'}: MLflow {json.dumps(theirs)[:400]} != ours {json.dumps(ours)[:400]}"
    return None
