"""The layer contract of ``jupyter_mltrack``, checked on the source (no module is imported).

Every module of the package is read with :mod:`ast`; every ``import`` in it counts, at module
level and inside functions. The rules (explained in ``docs/architecture.md``):

- every top-level module and package is assigned to one layer (``LAYERS``), and the package
  root holds only the modules listed there;
- no import points to a higher layer, except the few in ``EXCEPTIONS``, each with its reason,
  made inside a function, with a comment on the import line, and listed in the same table in
  ``docs/architecture.md``;
- the modules import one another without a cycle, counting function-level imports too. An
  ``import a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py``; those implicit edges are
  not counted, but ``from a.b import c`` counts an edge to ``a.b`` itself, so a package that
  re-exports from its submodules must not be imported back by them.

Imports under ``if TYPE_CHECKING:`` never run, so they cannot close a cycle and are left out of
the cycle check; they still obey the layer rule, since an annotation naming a type of a higher
layer is a dependency on it all the same. Lookups by name (``"module:function"`` strings in the
registries of URI schemes, stores, pyfunc loaders) are how a lower layer reaches an
implementation above it without importing it; ``test_builtin_uri_resolvers_exist`` keeps the
URI scheme names honest.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import jupyter_mltrack

PACKAGE = "jupyter_mltrack"
ROOT = Path(jupyter_mltrack.__file__).resolve().parent
DOC = ROOT.parent / "docs" / "architecture.md"

#: Layer number -> the top-level modules and packages in it (arrows point down: a module may
#: import its own layer and the layers below). ``""`` is the package root's ``__init__``.
LAYERS: dict[int, frozenset[str]] = {
    0: frozenset({"errors", "_types", "_time", "_validation", "_version", "entities"}),
    1: frozenset({"store", "artifacts", "models", "environments"}),
    2: frozenset({"tracking", "registry", "model_logging"}),
    # The doors MLflow users expect: they only re-export model_logging and below.
    3: frozenset({"", "sklearn", "pyfunc", "xgboost", "lightgbm", "pytorch"}),
    4: frozenset({"projects", "server", "cli", "__main__"}),
    5: frozenset({"notebook", "widgets", "apps", "labserver"}),
}

#: The modules allowed directly in the package root (everything else lives in a subpackage).
ROOT_MODULES = frozenset(
    {"__init__", "__main__", "_version", "errors", "_types", "_time", "_validation"}
    | {"sklearn", "pyfunc", "xgboost", "lightgbm", "pytorch"}
)


@dataclass(frozen=True)
class Allowed:
    """An allowed upward import: ``importer`` may import ``imported`` (a module or package)."""

    importer: str
    imported: str
    reason: str


#: The allowed upward imports. The same table is in docs/architecture.md (the test checks it).
EXCEPTIONS = (
    Allowed(
        "jupyter_mltrack",
        "jupyter_mltrack.notebook",
        "`%load_ext jupyter_mltrack` looks for `load_ipython_extension` on the package named, "
        "so the root must hand over to the notebook layer; it does so inside that function, "
        "so `import jupyter_mltrack` never loads IPython",
    ),
    Allowed(
        "jupyter_mltrack.cli.dashboard",
        "jupyter_mltrack.apps",
        "`mltrack dashboard` starts the packaged Voila dashboard: the command line is the "
        "app's launcher, and imports it only when the command runs",
    ),
    Allowed(
        "jupyter_mltrack.cli.report",
        "jupyter_mltrack.apps",
        "`mltrack report` serves the packaged Voila report, or writes it as static HTML with "
        "the app's own code; imported only when the command runs",
    ),
)


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int
    in_function: bool
    type_checking: bool


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        if path.name != "__init__.py":
            parts = parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, base] if base else parts)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _known(target: str) -> str | None:
    """The module of the package a dotted import target names (None for other packages)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _edges(module: str, path: Path) -> Iterator[Edge]:
    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> Iterator[Edge]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _targets(module, path, child):
                    known = _known(target)
                    if known is not None and known != module:
                        yield Edge(module, known, child.lineno, in_function, type_checking)
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            checking = type_checking or (isinstance(child, ast.If) and _is_type_checking(child))
            yield from visit(child, nested, checking)

    yield from visit(ast.parse(path.read_text(encoding="utf-8")), False, False)


EDGES = sorted(
    {edge for module, path in MODULES.items() for edge in _edges(module, path)},
    key=lambda e: (e.importer, e.line, e.imported),
)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_of(module: str) -> int:
    top = _top(module)
    for number, members in LAYERS.items():
        if top in members:
            return number
    raise AssertionError(f"{module} is in no layer: add {top!r} to LAYERS (and the doc)")


def _excepted(edge: Edge) -> Allowed | None:
    for allowed in EXCEPTIONS:
        target = edge.imported
        if edge.importer == allowed.importer and (
            target == allowed.imported or target.startswith(allowed.imported + ".")
        ):
            return allowed
    return None


def _upward() -> list[Edge]:
    return [e for e in EDGES if layer_of(e.imported) > layer_of(e.importer)]


def _cycles() -> list[list[str]]:
    """Strongly connected components (more than one module) of the run-time import graph."""
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in EDGES:
        if not edge.type_checking:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                strong(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph)))
    try:
        for node in sorted(graph):
            if node not in index:
                strong(node)
    finally:
        sys.setrecursionlimit(limit)
    return found


def _commented(edge: Edge) -> bool:
    """Whether the import has a comment on its line or just above its block of imports."""
    lines = MODULES[edge.importer].read_text(encoding="utf-8").splitlines()
    number = edge.line - 1
    if "#" in lines[number]:
        return True
    while number > 0 and lines[number - 1].strip().startswith(("from ", "import ")):
        number -= 1
    return number > 0 and lines[number - 1].strip().startswith("#")


def _show(edge: Edge) -> str:
    where = "in a function" if edge.in_function else "at module level"
    return f"{edge.importer}:{edge.line} -> {edge.imported} ({where})"


# -- the tests --------------------------------------------------------------------------------


def test_the_walk_sees_the_whole_package() -> None:
    assert len(MODULES) > 300
    assert any(e.in_function for e in EDGES) and any(e.type_checking for e in EDGES)
    # A known module-level edge and a known function-level one, found as such.
    pairs = {(e.importer, e.imported, e.in_function) for e in EDGES}
    assert ("jupyter_mltrack.tracking.runs_uri", "jupyter_mltrack.models.uri", False) in pairs
    assert ("jupyter_mltrack", "jupyter_mltrack.notebook", True) in pairs


def test_every_top_level_module_and_package_has_a_layer() -> None:
    tops = {_top(module) for module in MODULES}
    placed = set().union(*LAYERS.values())
    assert sorted(tops - placed) == [], "give every new top-level module or package a layer"
    assert sorted(placed - tops - {"xgboost", "lightgbm", "pytorch"}) == []


def test_the_package_root_holds_only_the_allowed_modules() -> None:
    root_files = {path.stem for path in ROOT.glob("*.py")}
    assert sorted(root_files - ROOT_MODULES) == [], "move it into the subpackage of its layer"


def test_no_import_points_to_a_higher_layer() -> None:
    bad = [_show(e) for e in _upward() if _excepted(e) is None]
    assert bad == [], "upward imports:\n" + "\n".join(bad)


def test_every_exception_is_used_inside_a_function_with_a_comment() -> None:
    for allowed in EXCEPTIONS:
        used = [e for e in _upward() if _excepted(e) == allowed]
        assert used, f"stale exception {allowed.importer} -> {allowed.imported}: remove it"
        for edge in used:
            assert edge.in_function, f"{_show(edge)}: an allowed upward import stays lazy"
            assert _commented(edge), f"{_show(edge)}: say why in a comment on the imports"


def test_the_architecture_doc_lists_every_exception() -> None:
    text = DOC.read_text(encoding="utf-8")
    for allowed in EXCEPTIONS:
        row = f"| `{allowed.importer}` | `{allowed.imported}` |"
        assert row in text, f"docs/architecture.md lacks the exceptions row starting {row}"
    rows = [line for line in text.splitlines() if line.startswith("| `jupyter_mltrack")]
    assert len(rows) == len(EXCEPTIONS), "the doc lists an exception the test does not"


def test_no_import_cycle_at_module_or_function_level() -> None:
    cycles = _cycles()
    shown = []
    for component in cycles:
        members = set(component)
        inner = [_show(e) for e in EDGES if e.importer in members and e.imported in members]
        shown.append("  " + "\n  ".join(inner))
    assert cycles == [], "import cycles:\n" + "\n\n".join(shown)


def test_models_never_imports_tracking_registry_or_model_logging() -> None:
    above = {"tracking", "registry", "model_logging"}
    bad = [_show(e) for e in EDGES if _top(e.importer) == "models" and _top(e.imported) in above]
    assert bad == []


@pytest.mark.parametrize("scheme", ["runs", "models"])
def test_builtin_uri_resolvers_exist(scheme: str) -> None:
    from jupyter_mltrack.models import uri

    module, _, name = uri._BUILTIN[scheme].partition(":")
    assert callable(getattr(importlib.import_module(module), name))
