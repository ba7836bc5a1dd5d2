"""The front end's unit tests (vitest: formatting, filter box, diffing, cell edits), run by pytest
so that `make test` runs them too. They need labextension/node_modules, which the editable
install (`make .venv/.dev-installed`) creates when it builds the extension."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

LABEXT = Path(__file__).resolve().parents[2] / "labextension"


@pytest.mark.timeout(300)
def test_vitest_unit_tests_pass() -> None:
    if not (LABEXT / "node_modules" / "vitest").exists():
        message = "labextension/node_modules is missing: run `make .venv/.dev-installed`"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    bin_dir = Path(sys.executable).parent
    env = os.environ | {"NO_COLOR": "1", "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(bin_dir / "jlpm"), "test"],
        cwd=LABEXT, env=env, capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed is not None and int(passed.group(1)) >= 30, output[-2000:]
    assert "failed" not in output.split("Test Files", 1)[-1].split("\n", 1)[0]
