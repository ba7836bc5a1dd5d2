"""Run one workload for one tool: fresh temp dir, fresh SQLite store, fresh process, timeout.

The child prints one JSON line on stdout; ``progress:`` lines on its stderr are relayed as they
come, the rest of stderr is kept and shown only if the child fails.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from environments import Tool
from specs import Workload

WORKLOAD_DIR = Path(__file__).resolve().parent / "workloads"
SCRIPTS = {"jupyter_mltrack": "mltrack_workloads.py", "mlflow": "mlflow_workloads.py"}
STDERR_TAIL_LINES = 40


class ChildFailed(RuntimeError):
    """A workload process exited non-zero, timed out or printed no measurement."""

    def __init__(self, tool: str, workload: str, reason: str, stderr_tail: str) -> None:
        super().__init__(f"{tool} / {workload}: {reason}\n{stderr_tail}")
        self.tool = tool
        self.workload = workload
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """The median over repeated processes, with every sample and the last child's extras."""

    value: float
    samples: list[float]
    size: int
    extra: dict[str, Any] = field(default_factory=dict)


def measure(
    tool: Tool, workload: Workload, size: int, *, env: dict[str, str] | None = None
) -> Measurement:
    """Run ``workload`` ``workload.repeats`` times in fresh processes and take the median."""
    startup_s = interpreter_startup(tool) if workload.wall_clock else 0.0
    samples: list[float] = []
    extra: dict[str, Any] = {}
    for attempt in range(1, workload.repeats + 1):
        print(f"    {tool.name}: run {attempt}/{workload.repeats}", file=sys.stderr, flush=True)
        reading, wall_s, extra = run_child(tool, workload, size, env=env or {})
        if workload.wall_clock:
            reading = (wall_s - startup_s) * 1000.0
        samples.append(float(reading))
    if workload.wall_clock:
        extra = {**extra, "interpreter_startup_ms": startup_s * 1000.0}
    return Measurement(value=statistics.median(samples), samples=samples, size=size, extra=extra)


def run_child(
    tool: Tool, workload: Workload, size: int, *, env: dict[str, str]
) -> tuple[float, float, dict[str, Any]]:
    """Run one workload process; return its reported value, its wall time (s) and extras."""
    script = WORKLOAD_DIR / SCRIPTS[tool.name]
    with tempfile.TemporaryDirectory(prefix=f"bench-{tool.name}-") as tmp:
        child_env = _child_env(tool, Path(tmp), env)
        command = [str(tool.python), str(script), workload.name, str(size)]
        start = time.perf_counter()
        returncode, stdout, stderr_tail = _run(command, tmp, child_env, workload.timeout_s)
        wall_s = time.perf_counter() - start
    if returncode is None:
        reason = f"timed out after {workload.timeout_s:.0f}s"
        raise ChildFailed(tool.name, workload.name, reason, stderr_tail)
    if returncode != 0:
        raise ChildFailed(tool.name, workload.name, f"exit code {returncode}", stderr_tail)
    result = _last_json_line(stdout)
    if result is None:
        raise ChildFailed(tool.name, workload.name, "printed no JSON measurement", stderr_tail)
    value = result["value"] if result["value"] is not None else float("nan")
    return value, wall_s, result.get("extra", {})


def interpreter_startup(tool: Tool, runs: int = 5) -> float:
    """Return the median wall time (s) of ``python -c pass`` for this tool's interpreter."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(tool.python), "-c", "pass"], check=True, timeout=60)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def warm_up(tool: Tool, module: str) -> None:
    """Import ``module`` once so byte-code caches exist before anything is timed."""
    env = {**os.environ, **tool.env}
    subprocess.run([str(tool.python), "-c", f"import {module}"], check=True, timeout=300, env=env)


def _child_env(tool: Tool, tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    """Return the parent's environment minus any tracking configuration, plus the fresh store."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_", "MLTRACK_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(tool.env)
    if tool.name == "mlflow":
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/x.db"
    else:
        env["MLTRACK_TRACKING_URI"] = f"sqlite:///{tmp}/mltrack.db"
    env.update(extra)
    return env


def _run(
    command: list[str], cwd: str, env: dict[str, str], timeout_s: float
) -> tuple[int | None, str, str]:
    """Run ``command``; return (exit code or None on timeout, stdout, tail of stderr)."""
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out: list[str] = []
    tail: list[str] = []
    readers = [
        threading.Thread(target=_collect, args=(proc.stdout, out), daemon=True),
        threading.Thread(target=_relay_stderr, args=(proc.stderr, tail), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        returncode: int | None = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        returncode = None
    for reader in readers:
        reader.join(timeout=5)
    return returncode, "".join(out), "".join(tail[-STDERR_TAIL_LINES:])


def _collect(stream: IO[str] | None, lines: list[str]) -> None:
    if stream is not None:
        lines.extend(stream)


def _relay_stderr(stream: IO[str] | None, tail: list[str]) -> None:
    """Echo ``progress:`` lines at once; keep the rest for the failure report."""
    if stream is None:
        return
    for line in stream:
        if line.startswith("progress: "):
            print(f"      {line[len('progress: ') :].rstrip()}", file=sys.stderr, flush=True)
        else:
            tail.append(line)
            del tail[:-STDERR_TAIL_LINES]


def _last_json_line(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                parsed: dict[str, Any] = json.loads(line)
            except json.JSONDecodeError:
                continue
            return parsed
    return None
