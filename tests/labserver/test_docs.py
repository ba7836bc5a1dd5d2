"""docs/lab-api.md documents every route the extension serves, with its method."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_mltrack.labserver.handlers import API_PREFIX, routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "lab-api.md"


def _documented() -> set[str]:
    return set(re.findall(r"^### `((?:GET|POST) [^`?]+)", DOC.read_text(), flags=re.MULTILINE))


def test_every_route_is_documented_and_nothing_else() -> None:
    served = set()
    for pattern, handler in routes(fallback=False):
        path = pattern.removeprefix(f"/{API_PREFIX}/").removesuffix("/?")
        path = re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"<\1>", path)
        (method,) = handler.SUPPORTED_METHODS
        served.add(f"{method} {path}")
    assert served == _documented()
