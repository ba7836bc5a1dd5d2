"""Clock and id helpers (ms timestamps, uuid4 hex ids)."""

from __future__ import annotations

import time
import uuid


def now_ms() -> int:
    """Return the current time in integer milliseconds since the UTC epoch."""
    return time.time_ns() // 1_000_000


def new_run_id() -> str:
    """Return a new 32-character run id."""
    return uuid.uuid4().hex
