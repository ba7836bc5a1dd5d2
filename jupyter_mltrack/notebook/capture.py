"""Save what a tracked cell displays (figures, DataFrames) as run artifacts under ``cell_outputs/``.

IPython formats every object it shows, both ``display(obj)`` and the value of a cell's last
expression, through ``shell.display_formatter.format``; wrapping that one method sees the
original objects rather than rendered bytes. matplotlib's inline backend draws open figures only
after the cell (after this block), so on exit the pyplot figures opened during the block and not
yet saved are saved too.

Files are written to a temporary folder (made on the first such output) as they are displayed
(a DataFrame changed later in the cell is saved as it was shown) and uploaded together on exit.
Saving never breaks the cell: a failure is logged and the output skipped.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["ARTIFACT_DIR", "DisplayCapture"]

logger = logging.getLogger(__name__)

#: The artifact folder captured outputs go to.
ARTIFACT_DIR = "cell_outputs"


class DisplayCapture:
    """Save the figures and DataFrames displayed inside the block as artifacts of ``run_id``.

    Example:
        >>> with DisplayCapture(run.info.run_id):  # doctest: +SKIP
        ...     display(df.describe())
    """

    def __init__(self, run_id: str, *, ipython: InteractiveShell | None = None) -> None:
        self.run_id = run_id
        self._ipython = ipython
        self._count = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._active = False
        self._shown: list[Any] = []  # objects saved so far, kept alive so identity is reliable
        self._figures_before: set[int] = set()
        self._formatter: Any = None
        self._had_own_format = False
        self._original_format: Callable[..., Any] | None = None
        #: Artifact paths saved so far, relative to the run's artifact root.
        self.saved: list[str] = []

    def __enter__(self) -> DisplayCapture:
        self._active = True
        self._figures_before = set(_pyplot_figures())
        shell = self._ipython or _current_shell()
        if shell is not None and shell.display_formatter is not None:
            self._hook(shell.display_formatter)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._unhook()
        for number, figure in _pyplot_figures().items():
            if number not in self._figures_before and not any(figure is s for s in self._shown):
                self._save(figure)
        self._active = False
        if self._tmp is None:
            return  # nothing was shown that is worth saving: no folder was ever made
        try:
            if self.saved:
                from jupyter_mltrack.tracking.client import TrackingClient

                client = TrackingClient()
                client.log_artifacts(self.run_id, self._tmp.name, artifact_path=ARTIFACT_DIR)
        except Exception:
            logger.warning("Could not upload the cell's displayed outputs", exc_info=True)
        finally:
            self._tmp.cleanup()
            self._tmp = None

    # -- hooking -----------------------------------------------------------------------------
    def _hook(self, formatter: Any) -> None:
        self._formatter = formatter
        self._had_own_format = "format" in vars(formatter)
        original = formatter.format
        self._original_format = original

        def capturing_format(obj: Any, *args: Any, **kwargs: Any) -> Any:
            self._save(obj)
            return original(obj, *args, **kwargs)

        formatter.format = capturing_format

    def _unhook(self) -> None:
        formatter, self._formatter = self._formatter, None
        if formatter is None:
            return
        if self._had_own_format:
            formatter.format = self._original_format
        else:
            del formatter.format

    # -- saving ------------------------------------------------------------------------------
    def _save(self, obj: Any) -> None:
        writer = _writer_for(obj)
        if writer is None or not self._active:
            return
        if self._tmp is None:  # made on the first output worth saving, not for every cell
            self._tmp = tempfile.TemporaryDirectory(prefix="mltrack-capture-")
        self._count += 1
        stem = f"{self._count:03d}_{writer[0]}"
        try:
            names = writer[1](obj, Path(self._tmp.name), stem)
        except Exception:
            logger.warning("Could not save a displayed %s", type(obj).__name__, exc_info=True)
            return
        self._shown.append(obj)
        self.saved.extend(f"{ARTIFACT_DIR}/{name}" for name in names)


def _current_shell() -> InteractiveShell | None:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell: InteractiveShell | None = get_ipython()
    return shell


def _pyplot_figures() -> dict[int, Any]:
    """Open pyplot figures by number, without importing matplotlib when the user did not."""
    if "matplotlib.pyplot" not in sys.modules:
        return {}
    # Gcf, not pyplot.figure(n): looking must not change the current figure.
    from matplotlib._pylab_helpers import Gcf

    return {int(manager.num): manager.canvas.figure for manager in Gcf.get_all_fig_managers()}


Writer = Callable[[Any, Path, str], list[str]]


def _writer_for(obj: Any) -> tuple[str, Writer] | None:
    module = type(obj).__module__
    if module.startswith("matplotlib") and _is_instance(obj, "matplotlib.figure", "Figure"):
        return "figure", _save_matplotlib
    if module.startswith("plotly") and _is_instance(obj, "plotly.basedatatypes", "BaseFigure"):
        if _is_instance(obj, "plotly.basewidget", "BaseFigureWidget"):
            return None  # live widgets (the live plot among them) are not outputs of the cell
        return "plotly", _save_plotly
    if module.startswith("pandas") and _is_instance(obj, "pandas", "DataFrame"):
        return "dataframe", _save_dataframe
    return None


def _is_instance(obj: Any, module: str, name: str) -> bool:
    found = sys.modules.get(module)
    cls = getattr(found, name, None) if found is not None else None
    return cls is not None and isinstance(obj, cls)


def _save_matplotlib(figure: Any, folder: Path, stem: str) -> list[str]:
    figure.savefig(folder / f"{stem}.png", format="png", bbox_inches="tight")
    return [f"{stem}.png"]


def _save_plotly(figure: Any, folder: Path, stem: str) -> list[str]:
    figure.write_html(folder / f"{stem}.html", include_plotlyjs="cdn", full_html=True)
    (folder / f"{stem}.json").write_text(figure.to_json(), encoding="utf-8")
    return [f"{stem}.html", f"{stem}.json"]


def _save_dataframe(frame: Any, folder: Path, stem: str) -> list[str]:
    (folder / f"{stem}.html").write_text(frame.to_html(max_rows=1000), encoding="utf-8")
    (folder / f"{stem}.json").write_text(frame.to_json(orient="split"), encoding="utf-8")
    return [f"{stem}.html", f"{stem}.json"]
