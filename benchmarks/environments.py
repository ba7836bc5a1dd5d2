"""The two interpreters under test and the machine they run on.

jupyter_mltrack runs in the project venv (``.venv``); MLflow runs in its own virtualenv under
``.bench/mlflow-venv``, created on first use so the two packages never share site-packages.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MLFLOW_VENV = REPO_ROOT / ".bench" / "mlflow-venv"
MLFLOW_WANTED = "3.17.2"
INSTALL_TIMEOUT_S = 1800
PROBE_TIMEOUT_S = 120

# MLflow 3 may phone home; nothing but PyPI is reachable here, so a hanging telemetry call would
# only make MLflow look slower than it is.
MLFLOW_QUIET_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tool:
    """One tracking library under test: its name, interpreter and extra environment."""

    name: str
    python: Path
    env: dict[str, str] = field(default_factory=dict)
    version: str = "?"


def mltrack_tool(python: Path | None = None) -> Tool:
    """Return the jupyter_mltrack side: the project venv, with the repo on ``PYTHONPATH``."""
    exe = python or REPO_ROOT / ".venv" / "bin" / "python"
    if not exe.exists():
        exe = Path(sys.executable)
    return Tool(name="jupyter_mltrack", python=exe, env={"PYTHONPATH": str(REPO_ROOT)})


def mlflow_tool(*, create: bool = True) -> Tool:
    """Return the MLflow side, creating ``.bench/mlflow-venv`` first if it is missing."""
    python = MLFLOW_VENV / "bin" / "python"
    if not _has_package(python, "mlflow"):
        if not create:
            raise RuntimeError(f"No MLflow venv at {MLFLOW_VENV}; run without --skip-mlflow once")
        _create_mlflow_venv()
    if not _has_package(python, "psycopg2-binary") and create:
        # MLflow's usual PostgreSQL driver, for the server_*_pg workloads.
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "psycopg2-binary"],
            check=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    version = package_version(python, "mlflow")
    return Tool(name="mlflow", python=python, env=dict(MLFLOW_QUIET_ENV), version=version)


def package_version(python: Path, package: str) -> str:
    """Return the installed version of ``package`` for the interpreter ``python``."""
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S
    )
    return out.stdout.strip() if out.returncode == 0 else "?"


def machine_info(tools: list[Tool]) -> dict[str, object]:
    """Describe the machine and each interpreter, for the results header."""
    info: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "memory_gb": _memory_gb(),
    }
    for tool in tools:
        info[f"{tool.name}_python"] = _python_version(tool.python)
        info[f"{tool.name}_sqlalchemy"] = package_version(tool.python, "sqlalchemy")
    return info


def _has_package(python: Path, package: str) -> bool:
    return python.exists() and package_version(python, package) != "?"


def _create_mlflow_venv() -> None:
    print(f"Creating {MLFLOW_VENV} (one-off; takes a few minutes)", file=sys.stderr)
    MLFLOW_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], check=True, timeout=300)
    pip = [str(MLFLOW_VENV / "bin" / "python"), "-m", "pip"]
    version = _pick_mlflow_version(pip)
    print(f"Installing mlflow=={version}", file=sys.stderr)
    subprocess.run(
        [*pip, "install", "-q", f"mlflow=={version}"], check=True, timeout=INSTALL_TIMEOUT_S
    )


def _pick_mlflow_version(pip: list[str]) -> str:
    """Return MLFLOW_WANTED if the index has it, else the newest 3.x release it has."""
    out = subprocess.run(
        [*pip, "index", "versions", "mlflow"],
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S,
    )
    match = re.search(r"Available versions: (.*)", out.stdout)
    available = [v.strip() for v in match.group(1).split(",")] if match else []
    if not available or MLFLOW_WANTED in available:
        return MLFLOW_WANTED
    threes = [v for v in available if re.fullmatch(r"3\.\d+\.\d+", v)]
    return max(threes, key=lambda v: tuple(map(int, v.split(".")))) if threes else MLFLOW_WANTED


def _python_version(python: Path) -> str:
    code = "import json, sys; print(json.dumps(sys.version.split()[0]))"
    out = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S
    )
    return json.loads(out.stdout) if out.returncode == 0 else "?"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "?"
    match = re.search(r"^model name\s*:\s*(.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "?"


def _memory_gb() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 1024**2, 1) if match else None
