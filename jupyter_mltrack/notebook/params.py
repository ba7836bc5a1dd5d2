"""Params without boilerplate: literal top-level assignments and papermill's parameters cell."""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["PAPERMILL_MARKER", "literal_params", "papermill_params"]

#: The first line papermill writes into the cell it injects (tagged ``injected-parameters``).
PAPERMILL_MARKER = "# Parameters"

_SCALARS = (int, float, str, bool, type(None))


def _is_plain(value: object) -> bool:
    if isinstance(value, _SCALARS):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_is_plain(k) and _is_plain(v) for k, v in value.items())
    return False


def _targets(node: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(node, ast.Assign):
        names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        return (names if len(names) == len(node.targets) else []), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id], node.value
    return [], None


def literal_params(source: str) -> dict[str, str]:
    """Return ``name -> str(value)`` for the literal top-level assignments in ``source``.

    Only plain values count (numbers, strings, bools, None and lists/tuples/dicts of them), so
    ``model = RandomForest()`` is not a param. Later assignments win. Unparsable source gives {}.

    Example:
        >>> literal_params("max_depth = 5\\nlr = 1e-3\\nmodel = make()")
        {'max_depth': '5', 'lr': '0.001'}
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    params: dict[str, str] = {}
    for node in tree.body:
        names, value_node = _targets(node)
        if not names or value_node is None:
            continue
        try:
            value = ast.literal_eval(value_node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        if _is_plain(value):
            for name in names:
                if not name.startswith("_"):
                    params[name] = str(value)
    return params


def papermill_params(history: Iterable[str]) -> dict[str, str]:
    """Return the params papermill injected, from the latest parameters cell in ``history``.

    Example:
        >>> papermill_params(["import x", "# Parameters\\nalpha = 0.5\\n"])
        {'alpha': '0.5'}
    """
    for source in reversed(list(history)):
        if source.lstrip().startswith(PAPERMILL_MARKER):
            return literal_params(source)
    return {}
