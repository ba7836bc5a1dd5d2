"""``import jupyter_mltrack`` stays light: no notebook, plotting, dataframe, ML or SQL stack."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "IPython",
    "ipywidgets",
    "plotly",
    "pandas",
    "sklearn",
    "papermill",
    "sqlalchemy",
    "matplotlib",
    "psutil",
    "pynvml",
]


def loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    return [name for name in HEAVY if name in modules]


def test_import_loads_no_heavy_module() -> None:
    assert loaded_after("import jupyter_mltrack") == []


def test_tracking_package_and_client_class_load_no_heavy_module() -> None:
    code = "import jupyter_mltrack.tracking\nfrom jupyter_mltrack import TrackingClient"
    assert loaded_after(code) == []
