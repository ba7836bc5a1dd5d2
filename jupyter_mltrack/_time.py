"""Clock and id helpers (ms timestamps, time-ordered run ids)."""

from __future__ import annotations

import os
import time

_RAND_B_MASK = (1 << 62) - 1


def now_ms() -> int:
    """Return the current time in integer milliseconds since the UTC epoch."""
    return time.time_ns() // 1_000_000


def new_run_id() -> str:
    """Return a new 32-character run id: a UUIDv7 (RFC 9562) in hex, as MLflow's are uuid4 hex.

    74 random bits keep ids unique; the leading millisecond timestamp orders them by creation,
    so a new run's rows go to the end of every index keyed by run id (runs, params, tags, latest
    metrics) instead of onto a random page: fewer pages split and written per new run, and a
    large store's recent runs stay together in the cache.
    """
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 for rand_a, 62 for rand_b
    value = (
        (time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76  # version 7
        | (rand >> 68) << 64
        | 0b10 << 62  # the RFC variant
        | rand & _RAND_B_MASK
    )
    return f"{value:032x}"
