"""Nested runs in the runs table: children shown under their parent, groups kept in sort order.

Only the shown page is arranged (the store pages and sorts). A child whose parent is on the page
follows it, indented; a group takes the place of its member the sort put first, so sorting by a
metric moves a sweep together with its best trial. A child whose parent is on another page stays
where the sort put it, marked as nested.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from jupyter_mltrack.entities import Run
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID
from jupyter_mltrack.widgets._table_render import RowMarks, row_marks

__all__ = ["NestedRow", "arrange", "nested_marks"]


@dataclass(frozen=True, slots=True)
class NestedRow:
    """One shown row: the run, its depth under a shown parent and its shown-or-hidden children.

    Attributes:
        run: The run.
        depth: 0 for a top-level run, 1 for a child of a shown run, and so on.
        children: How many children of this run are on the page (shown or collapsed).
        orphan: A nested run whose parent is not on the page.
        collapsed: Its children are hidden.
    """

    run: Run
    depth: int = 0
    children: int = 0
    orphan: bool = False
    collapsed: bool = False

    @property
    def expander(self) -> str:
        """What the row's expander shows: ``""`` (no children), ``"closed"`` or ``"open"``."""
        if not self.children:
            return ""
        return "closed" if self.collapsed else "open"


def nested_marks(row: NestedRow, labels: Mapping[str, str] | None = None) -> RowMarks:
    """The Run-cell marks of a row: its indent, folded children and re-run origin."""
    return row_marks(row.run, row.depth, row.children if row.collapsed else 0, labels)


def _parent(run: Run) -> str:
    return run.data.tags.get(PARENT_RUN_ID, "")


def arrange(runs: Sequence[Run], collapsed: Collection[str] = ()) -> list[NestedRow]:
    """Order a page of runs as a tree; leave out the descendants of ``collapsed`` run ids."""
    index = {run.info.run_id: i for i, run in enumerate(runs)}
    children: dict[str, list[Run]] = {}
    roots: list[Run] = []
    for run in runs:
        parent = _parent(run)
        if parent in index and parent != run.info.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)
    first: dict[str, int] = {}

    def rank(run: Run, trail: frozenset[str] = frozenset()) -> int:
        """The position of the first member of the run's group in the store's order."""
        run_id = run.info.run_id
        if run_id not in first:
            kids = [c for c in children.get(run_id, ()) if c.info.run_id not in trail]
            first[run_id] = min([index[run_id], *(rank(c, trail | {run_id}) for c in kids)])
        return first[run_id]

    out: list[NestedRow] = []
    done: set[str] = set()

    def walk(run: Run, depth: int) -> None:
        run_id = run.info.run_id
        done.add(run_id)
        kids = sorted((c for c in children.get(run_id, ()) if c.info.run_id not in done), key=rank)
        folded = run_id in collapsed and bool(kids)
        orphan = depth == 0 and bool(_parent(run))
        out.append(NestedRow(run, depth, len(kids), orphan, folded))
        if folded:
            done.update(_descendants(run_id, children))
            return
        for kid in kids:
            if kid.info.run_id not in done:
                walk(kid, depth + 1)

    for root in sorted(roots, key=rank):
        walk(root, 0)
    for run in runs:  # parent links in a cycle: no root reaches them
        if run.info.run_id not in done:
            walk(run, 0)
    return out


def _descendants(run_id: str, children: dict[str, list[Run]]) -> set[str]:
    found: set[str] = set()
    stack = [run_id]
    while stack:
        for kid in children.get(stack.pop(), ()):
            if kid.info.run_id not in found:
                found.add(kid.info.run_id)
                stack.append(kid.info.run_id)
    return found
