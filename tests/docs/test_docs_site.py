"""The documentation site builds with no warning, and its configuration table cannot go stale.

``mkdocs build --strict`` renders every page, the tutorials (mkdocs-jupyter), the API reference
(mkdocstrings) and the CLI reference (generated from the click commands by a hook); any broken
link, missing page or docstring problem fails the build. The configuration page must list every
``MLTRACK_*`` variable the code reads, and nothing the code does not read.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV_NAME = re.compile(r"^MLTRACK_[A-Z0-9_]*[A-Z0-9]$")


def _literals(tree: ast.AST) -> list[str]:
    """String constants of a module, except the names listed in ``__all__``."""
    exported = {
        id(element)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        for element in ast.walk(node.value)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in exported
    ]


def code_strings() -> list[str]:
    found: list[str] = []
    for path in (ROOT / "jupyter_mltrack").rglob("*.py"):
        found += _literals(ast.parse(path.read_text(), str(path)))
    return found


def variables_in_code() -> set[str]:
    """Every ``"MLTRACK_..."`` variable named in full by a string literal of the package."""
    return {text for text in code_strings() if ENV_NAME.match(text)}


def prefixes_in_code() -> set[str]:
    """Prefixes the code completes itself (``"MLTRACK_TRACKING_" + "TOKEN"``)."""
    return {text for text in code_strings() if re.fullmatch(r"MLTRACK_[A-Z0-9_]+_", text)}


def variables_in_docs() -> set[str]:
    text = (ROOT / "docs" / "configuration.md").read_text()
    return set(re.findall(r"^\| `(MLTRACK_[A-Z0-9_]+)`", text, flags=re.M))


def test_configuration_page_lists_every_variable_the_code_reads() -> None:
    code, docs = variables_in_code(), variables_in_docs()
    assert len(code) > 20
    assert sorted(code - docs) == [], "add these to docs/configuration.md"
    extra = {name for name in docs - code if not name.startswith(tuple(prefixes_in_code()))}
    assert sorted(extra) == [], "docs/configuration.md lists variables no code reads"


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    cli = (site / "reference" / "cli" / "index.html").read_text()
    assert "mltrack server" in cli and "mltrack report" in cli  # generated from click
    api = (site / "reference" / "api" / "index.html").read_text()
    assert "start_run" in api and "RegistryClient" in api  # rendered from docstrings
    tutorial = site / "tutorials" / "01-quickstart" / "index.html"
    assert "%%track" in tutorial.read_text()  # rendered from the notebook itself
