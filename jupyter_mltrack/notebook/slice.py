"""The execution slice of a tracked cell: which earlier cells produced the names it reads.

Given IPython's execution history, :func:`compute_slice` follows each name the cell reads to the
latest earlier cell that bound it, transitively, and returns those cells in execution order. A
cell that binds a name it never reads first (``x = 1; print(x)``) does not depend on ``x``.

Subscript and attribute assignments (``df["a"] = 0``) count as both a read and a binding of
``df``, so a cell that mutates an object is part of the slice of cells that read it later.
Calls that mutate in place (``items.append(3)``) are invisible to a static analysis and are not.

The slice is *non-linear* when the notebook state cannot be reproduced by running the slice top to
bottom: the history lists a slice cell before a cell executed earlier than it (out-of-order
execution), or a name a slice cell read was re-bound afterwards by a cell with different source
(the upstream cell was edited and re-run, the downstream one was not).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CellNames", "cell_names", "compute_slice"]

_MAGIC_ASSIGN = re.compile(r"^(\s*)([\w.,\s\[\]()]+?)\s*=\s*[%!]")
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|\w[\w.]*\?{1,2}\s*$)")


@dataclass(frozen=True, slots=True)
class CellNames:
    """The global names a cell reads before binding them, and the global names it binds."""

    uses: frozenset[str]
    defs: frozenset[str]


def compute_slice(history: Sequence[tuple[int, str]], cell_source: str) -> tuple[str, bool]:
    """Return the source of the cells ``cell_source`` depends on, and the non-linear flag.

    Args:
        history: ``(execution_count, source)`` of the cells executed before, oldest first, not
            including the tracked cell.
        cell_source: the tracked cell's source (a leading ``%%track`` line is allowed).

    Returns:
        The slice as Python text, each cell under an ``# In[N]`` header, in execution order
        (empty when the cell depends on nothing), and whether the slice is non-linear.

    Example:
        >>> text, non_linear = compute_slice([(1, "a = 1"), (2, "b = 2")], "print(a)")
        >>> print(text)
        # In[1]
        a = 1
        <BLANKLINE>
        >>> non_linear
        False
    """
    cells = sorted(enumerate(history), key=lambda item: (item[1][0], item[0]))
    chosen: dict[int, None] = {}  # positions in ``cells``, insertion-ordered
    stale = False
    pending: list[tuple[int, str]] = [(len(cells), name) for name in cell_names(cell_source).uses]
    seen: set[tuple[int, str]] = set()
    while pending:
        before, name = pending.pop()
        if (before, name) in seen:
            continue
        seen.add((before, name))
        found = _latest_binding(cells, before, name)
        if found is None:
            continue  # a builtin, or bound outside the recorded history
        if before < len(cells):
            stale = stale or _rebound_differently(cells, before, found, name)
        if found not in chosen:
            chosen[found] = None
            pending.extend((found, used) for used in cell_names(cells[found][1][1]).uses)
    ordered = sorted(chosen)
    text = "".join(f"# In[{cells[i][1][0]}]\n{cells[i][1][1].rstrip()}\n\n" for i in ordered)
    return text, stale or _out_of_order(cells, ordered)


def _latest_binding(
    cells: Sequence[tuple[int, tuple[int, str]]], before: int, name: str
) -> int | None:
    for index in range(before - 1, -1, -1):
        if name in cell_names(cells[index][1][1]).defs:
            return index
    return None


def _rebound_differently(
    cells: Sequence[tuple[int, tuple[int, str]]], reader: int, source_index: int, name: str
) -> bool:
    """True when ``name`` was re-bound after ``reader`` ran by a cell unlike the one it read.

    A later cell that reads ``name`` as it re-binds it (``x = x + 1``) continues the chain rather
    than replacing it, so it does not make ``reader``'s results stale.
    """
    original = cells[source_index][1][1]
    for _, (_, source) in cells[reader + 1 :]:
        names = cell_names(source)
        if name in names.defs and name not in names.uses and source != original:
            return True
    return False


def _out_of_order(cells: Sequence[tuple[int, tuple[int, str]]], ordered: Sequence[int]) -> bool:
    """True when the history lists one slice cell before another that was executed earlier."""
    positions = [cells[index][0] for index in ordered]
    return positions != sorted(positions)


@lru_cache(maxsize=4096)
def cell_names(source: str) -> CellNames:
    """Return the names ``source`` reads from and binds in the global namespace.

    IPython syntax (line magics, shell escapes, ``x = !cmd``, a leading cell magic line, ``obj?``)
    is neutralised first; a cell that still does not parse reads and binds nothing.

    Example:
        >>> names = cell_names("import numpy as np\\nx = np.ones(n)")
        >>> sorted(names.uses), sorted(names.defs)
        (['n'], ['np', 'x'])
    """
    try:
        tree = ast.parse(_python_text(source))
    except (SyntaxError, ValueError):
        return CellNames(frozenset(), frozenset())
    visitor = _Scope()
    visitor.visit_body(tree.body)
    return CellNames(
        frozenset(visitor.uses | visitor.deferred - visitor.bound), frozenset(visitor.bound)
    )


def _python_text(source: str) -> str:
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]
    out = []
    for line in lines:
        assigned = _MAGIC_ASSIGN.match(line)
        if assigned:
            out.append(f"{assigned.group(1)}{assigned.group(2).strip()} = None")
        elif _MAGIC_LINE.match(line):
            out.append(f"{_MAGIC_LINE.match(line).group(1)}pass")  # type: ignore[union-attr]
        else:
            out.append(line)
    return "\n".join(out)


class _Scope(ast.NodeVisitor):
    """Walks module-level code in evaluation order, tracking what is bound before it is read.

    Function and class bodies run later (at call time), so their free names are collected in
    ``deferred`` and count as reads only when the cell does not bind them anywhere.
    """

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.uses: set[str] = set()
        self.deferred: set[str] = set()
        self.declared_global: set[str] = set()

    def visit_body(self, body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)

    def _bind(self, name: str) -> None:
        self.bound.add(name)

    def _read(self, name: str) -> None:
        if name not in self.bound:
            self.uses.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)

    def _store_target(self, target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self._bind(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._store_target(element)
        elif isinstance(target, ast.Starred):
            self._store_target(target.value)
        else:  # obj.attr = v / obj[k] = v mutate obj: a read of it, and a new version of it
            self.visit(target)
            root = _root_name(target)
            if root is not None:
                self._bind(root)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store_target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self._store_target(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
        self._store_target(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._store_target(node.target)
        self.visit_body(node.body)
        self.visit_body(node.orelse)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._store_target(item.optional_vars)
        self.visit_body(node.body)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        self.visit_body(node.body)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self._bind(node.name)
        params = {a.arg for a in _all_args(node.args)}
        self._defer(node.body, params)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        inner = _Scope()
        inner.bound = {a.arg for a in _all_args(node.args)} | self.bound
        inner.visit(node.body)
        self.uses |= inner.uses
        self.deferred |= inner.deferred

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._bind(node.name)
        self._defer(node.body, set())

    def _defer(self, body: list[ast.stmt], params: set[str]) -> None:
        inner = _Scope()
        inner.bound = set(params)
        inner.visit_body(body)
        local = inner.bound - inner.declared_global
        self.deferred |= (inner.uses | inner.deferred) - local
        self.bound |= inner.bound & inner.declared_global

    def visit_Global(self, node: ast.Global) -> None:
        self.declared_global |= set(node.names)

    def _comprehension(self, node: ast.expr, elements: list[ast.expr]) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        inner = _Scope()
        inner.bound = set(self.bound)
        for generator in generators:
            inner.visit(generator.iter)
            inner._store_target(generator.target)
            for condition in generator.ifs:
                inner.visit(condition)
        for element in elements:
            inner.visit(element)
        self.uses |= inner.uses
        self.deferred |= inner.deferred

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_ListComp  # type: ignore[assignment]
    visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)


def _all_args(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
