"""The stakeholder model report: a Voila page and a static HTML file for one model version.

``mltrack report models:/churn@champion`` serves :data:`REPORT_NOTEBOOK` with Voila; the
notebook calls :func:`show_model_report`, which reads the model URI and the store from the
environment (:data:`ENV_MODEL_URI`, ``MLTRACK_TRACKING_URI``). ``--output report.html`` calls
:func:`write_static_report` instead: the same sections in one self-contained file, no server.

Both put the process into app mode first (``widgets/_app_mode.py``): the page is for people who
do not read notebooks, so it shows no server paths and offers no action.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_mltrack.errors import InvalidParameterError

if TYPE_CHECKING:
    from jupyter_mltrack.widgets._report_facts import ModelReportFacts

__all__ = [
    "ENV_MODEL_URI",
    "REPORT_NOTEBOOK",
    "gather_model_report",
    "show_model_report",
    "write_static_report",
]

#: The notebook ``mltrack report`` serves; shipped inside the wheel next to this module.
REPORT_NOTEBOOK = Path(__file__).with_name("report.ipynb")
ENV_MODEL_URI = "MLTRACK_REPORT_MODEL_URI"


def gather_model_report(model_uri: str, tracking_uri: str | None = None) -> ModelReportFacts:
    """Read everything the report of ``model_uri`` shows from the store at ``tracking_uri``.

    Raises:
        InvalidParameterError: Not a ``models:/`` URI.
        RegisteredModelNotFound, ModelVersionNotFound: The URI names nothing in the registry.
    """
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets._report_facts import gather_report

    tracking = TrackingClient(tracking_uri)
    return gather_report(model_uri, tracking, RegistryClient(tracking_uri))


def write_static_report(model_uri: str, output: str | os.PathLike[str], **kw: str | None) -> Path:
    """Write the report of ``model_uri`` as one self-contained HTML file; return its path.

    Keyword arguments go to :func:`gather_model_report` (``tracking_uri``). The file is written
    through a temporary file, so a failure never leaves half a report behind.
    """
    from jupyter_mltrack.widgets._report_html import static_report_html

    # The file goes to people outside: the page shows file names, never paths (cut_paths), and
    # this process is left as it was (no app mode: the caller may be the user's own notebook).
    facts = gather_model_report(model_uri, **kw)
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    page = static_report_html(facts, generated_at=stamp)
    target = Path(output)
    if target.is_dir():
        raise InvalidParameterError(f"--output {str(output)!r} is a folder; give a file name")
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(page, encoding="utf-8")
    partial.replace(target)
    return target


def show_model_report(model_uri: str | None = None) -> ModelReportFacts:
    """Display the report in the running notebook (the Voila page); return its facts.

    ``model_uri`` defaults to :data:`ENV_MODEL_URI`, set by ``mltrack report``.
    """
    from IPython.display import HTML, display

    from jupyter_mltrack.widgets._app_mode import enable_app_mode
    from jupyter_mltrack.widgets._figure_output import FigureOutput
    from jupyter_mltrack.widgets._report_html import REPORT_STYLE, report_sections

    enable_app_mode()  # before anything is shown: visitors see no server path
    uri = model_uri or os.environ.get(ENV_MODEL_URI, "")
    if not uri:
        raise InvalidParameterError(f"No model to report on: set {ENV_MODEL_URI}")
    facts = gather_model_report(uri, os.environ.get("MLTRACK_TRACKING_URI") or None)
    sections = report_sections(facts)

    def show(markup: str) -> None:
        page = HTML(f"{REPORT_STYLE}<div class='mltrack-report'>{markup}</div>")  # type: ignore[no-untyped-call]
        display(page)  # type: ignore[no-untyped-call]

    show(sections["header"] + sections["metrics"])
    if facts.plots:
        show("<h2>Evaluation</h2>")
    for plot in facts.plots:
        show(f"<h3>{html.escape(plot.title)}</h3>")
        # Inside an Output widget, as the dashboard draws its figures: Voila's top-level
        # output area trips over the plotly mime renderer ("setData is not a function").
        figure = FigureOutput()
        figure.show(plot.figure)
        display(figure)  # type: ignore[no-untyped-call]
    show(sections["signature"] + sections["lineage"] + sections["history"])
    return facts
