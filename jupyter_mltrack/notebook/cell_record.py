"""What a tracked cell records besides its metrics: params, source, slice, failure, traceback.

Everything that can be known before the run starts (params, the slice and its non-linear flag)
is computed first, so the run is created with its tags in one write and the source files are
written straight into the run's artifact folder, without reading the run back from the store.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.notebook.params import literal_params, papermill_params

if TYPE_CHECKING:
    from jupyter_mltrack.tracking.active import ActiveRun

__all__ = [
    "ERROR",
    "NON_LINEAR",
    "CellRecord",
    "record_failure",
    "show_from_user_code",
    "user_traceback",
]

logger = logging.getLogger(__name__)

ERROR = "mltrack.error"
NON_LINEAR = "mltrack.nonLinear"
_MAX_ERROR_TAG = 500
_MAX_PARAM = 500


@dataclass
class CellRecord:
    """The params, source and slice of one tracked cell, computed before its run starts."""

    cell: str
    params: dict[str, str] = field(default_factory=dict)
    slice_text: str | None = None
    non_linear: bool | None = None

    @classmethod
    def build(
        cls,
        cell: str,
        code: str,
        history: list[str],
        *,
        capture_params: bool,
        extra: dict[str, str],
    ) -> CellRecord:
        """Compute params and slice from ``history`` (the raw inputs before this cell)."""
        record = cls(cell)
        if capture_params:
            params = {**papermill_params(history), **literal_params(code)}
            record.params = {k: v for k, v in params.items() if len(v) <= _MAX_PARAM}
        record.params.update(extra)
        try:
            from jupyter_mltrack.notebook.slice import compute_slice

            numbered = [(n, src) for n, src in enumerate(history) if n]
            record.slice_text, record.non_linear = compute_slice(numbered, cell)
        except Exception:
            logger.warning("Could not compute the execution slice", exc_info=True)
        return record

    def tags(self) -> dict[str, str]:
        """Tags to create the run with."""
        if self.non_linear is None:
            return {}
        return {NON_LINEAR: str(bool(self.non_linear)).lower()}

    def write_artifacts(self, run: ActiveRun) -> None:
        """Write ``cell.py`` and ``slice.py`` into the run's artifact folder."""
        from jupyter_mltrack.tracking.artifact_content import text_bytes
        from jupyter_mltrack.tracking.client_artifacts import artifact_repository

        repo = artifact_repository(run.artifact_uri, getattr(run.client, "tracking_uri", None))
        repo.write_bytes("cell.py", text_bytes(self.cell))
        if self.slice_text is not None:
            repo.write_bytes("slice.py", text_bytes(self.slice_text))


def user_traceback(exc: BaseException, filename: str) -> TracebackType | None:
    """Return the part of ``exc``'s traceback that starts in the cell's code (``filename``)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return tb


def record_failure(run: ActiveRun, exc: BaseException, filename: str) -> None:
    """Store the traceback (from the user's code on) and a one-line error tag on the run."""
    tb = user_traceback(exc, filename) or exc.__traceback__
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    first = (str(exc).strip().splitlines() or [""])[0]
    try:
        run.client.log_text(run.run_id, text, "traceback.txt")
        run.client.set_tag(run.run_id, ERROR, f"{type(exc).__name__}: {first}"[:_MAX_ERROR_TAG])
    except Exception:
        logger.warning("Could not record the failure of run %s", run.run_id, exc_info=True)


def show_from_user_code(shell: Any, exc: BaseException, filename: str) -> None:
    """Make IPython show ``exc``'s traceback from the user's code on, without our frames.

    IPython draws a traceback through an exception's ``_render_traceback_`` when it has one; the
    attribute is set on this exception object only and removes itself once used, so the same
    exception raised again later shows its full traceback.
    """
    tb = user_traceback(exc, filename)
    formatter = getattr(shell, "InteractiveTB", None)
    if tb is None or formatter is None or hasattr(exc, "_render_traceback_"):
        return

    def render() -> list[str]:
        with contextlib.suppress(AttributeError):
            del exc._render_traceback_  # type: ignore[attr-defined]
        stb: list[str] = formatter.structured_traceback(type(exc), exc, tb, tb_offset=0)
        return stb

    with contextlib.suppress(AttributeError, TypeError):  # exceptions with __slots__
        exc._render_traceback_ = render  # type: ignore[attr-defined]
