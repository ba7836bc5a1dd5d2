"""Where a frame read's rows go: the frame's runs in order, and one numpy scatter per column.

The reads behind the search DataFrame return their runs in their own order (by run id, by key
group), and whole-table reads also return runs the frame does not hold. :class:`RunOrder` maps
them to the frame's rows: ``place`` puts one column's values in frame order and drops the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


class RunOrder:
    """The caller's runs in frame order, and where the rows of a read go in it."""

    def __init__(self, run_ids: Sequence[str]) -> None:
        self.position = {run_id: index for index, run_id in enumerate(run_ids)}
        self.size = len(run_ids)
        self._last: tuple[list[str], tuple[Any, Any]] | None = None

    def targets(self, run_ids: Sequence[str]) -> tuple[np.ndarray | None, np.ndarray]:
        """Return (rows to keep, or None for all; their positions) for rows of ``run_ids``.

        The reads of one frame usually return the same runs in the same (id) order, so the
        last answer is kept.
        """
        import numpy as np

        run_ids = list(run_ids)
        if self._last is not None and self._last[0] == run_ids:
            return self._last[1]  # type: ignore[no-any-return]
        found = list(map(self.position.get, run_ids))
        if None not in found:
            answer: tuple[Any, Any] = (None, np.array(found, dtype=np.intp))
        else:
            keep = [i for i, index in enumerate(found) if index is not None]
            answer = (np.array(keep, dtype=np.intp), np.array([found[i] for i in keep], np.intp))
        self._last = (run_ids, answer)
        return answer

    def place(self, values: Any, run_ids: Sequence[str], dtype: Any, missing: Any) -> Any:
        """Return one column of values given in ``run_ids`` order, in frame order."""
        return _place(values, *self.targets(run_ids), self.size, dtype, missing)


def _place(
    values: Sequence[Any],
    source: np.ndarray | None,
    target: np.ndarray,
    size: int,
    dtype: Any,
    missing: Any,
) -> np.ndarray:
    """Scatter one column's ``values`` (row order) to ``target`` positions of a new column."""
    import numpy as np

    array = np.array(values, dtype=dtype)
    if source is not None:
        array = array[source]
    column = np.full(size, missing, dtype=dtype)
    column[target] = array
    return column


__all__ = ["RunOrder"]
