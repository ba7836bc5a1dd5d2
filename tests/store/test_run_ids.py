"""Run ids are UUIDv7 hex: 32 characters like MLflow's, unique, and ordered by creation."""

from __future__ import annotations

import time
import uuid

from jupyter_mltrack._time import new_run_id


def test_a_run_id_is_a_version_7_uuid_in_hex() -> None:
    run_id = new_run_id()
    parsed = uuid.UUID(hex=run_id)
    assert run_id == parsed.hex and len(run_id) == 32
    assert parsed.version == 7 and parsed.variant == uuid.RFC_4122


def test_run_ids_carry_their_creation_time_and_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = new_run_id()
    time.sleep(0.002)
    second = new_run_id()
    after = time.time_ns() // 1_000_000
    assert first < second
    assert before <= int(first[:12], 16) <= int(second[:12], 16) <= after


def test_run_ids_made_in_the_same_millisecond_differ() -> None:
    ids = [new_run_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert len({run_id[:12] for run_id in ids}) < len(ids)  # many shared a millisecond
