"""Script injection: user text with HTML/JavaScript renders as text everywhere it is shown.

A store whose run names, params, tags, experiment names, model names and markdown descriptions
are payloads (``injection_seed.py``) is opened in every widget, clicked through (registry
versions, run views, artifact previews), and every piece of HTML the widgets would send to the
browser - ``HTML`` values, HTML descriptions, ``Output`` bundles - is parsed: no payload may come
alive as an element with an event handler, a ``<script>``, a ``javascript:`` link or an
unsandboxed document. The notebook's rich displays are checked the same way, and the CLI must
not pass ANSI escape sequences or control characters from stored names to the terminal.
Chromium checks the Voila dashboard in ``tests/browser/test_injection_browser.py``.
"""

from __future__ import annotations

import collections
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets
import pytest
from click.testing import CliRunner
from injection_seed import (
    END_SCRIPT,
    ESCAPES,
    EXPERIMENT,
    IMG,
    MARKDOWN,
    MARKER,
    SCRIPT,
    InjectionStore,
    live_markup,
    seed_injection_store,
)
from reliability_figures import report

from jupyter_mltrack import RegistryClient, TrackingClient
from jupyter_mltrack.cli.main import main

checked: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> InjectionStore:
    return seed_injection_store(tmp_path_factory.mktemp("injection"))


@pytest.fixture(scope="module")
def clients(seeded: InjectionStore) -> tuple[TrackingClient, RegistryClient]:
    return TrackingClient(seeded.uri), RegistryClient(seeded.uri)


def walk(widget: Any) -> Iterator[Any]:
    """Every widget under ``widget`` (children, and the ``Output`` areas' widgets)."""
    stack = [widget]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(getattr(current, "children", ()))


def html_of(widget: Any) -> list[str]:
    """The HTML strings a browser would render as markup for ``widget`` and its children."""
    found = []
    for w in walk(widget):
        if isinstance(w, (ipywidgets.HTML, ipywidgets.HTMLMath)):
            found.append(w.value)
        if getattr(w, "description_allow_html", False):
            found.append(w.description)
        if isinstance(w, ipywidgets.Output):
            for output in w.outputs:
                found.append(str(output.get("data", {}).get("text/html", "")))
    return found


def assert_inert(name: str, pieces: list[str]) -> None:
    checked[name] += len(pieces)
    live = [hit for piece in pieces for hit in live_markup(piece)]
    assert not live, f"{name}: payload markup is live: {live[:3]}"
    assert any(MARKER in piece for piece in pieces), f"{name}: the payloads were not shown at all"


def click_all(widget: Any, css: str, *, limit: int = 10) -> None:
    buttons = [
        w for w in walk(widget) if isinstance(w, ipywidgets.Button) and css in w._dom_classes
    ]
    for button in buttons[:limit]:
        button.click()


def test_runs_table_comparison_and_plot(
    seeded: InjectionStore, clients: tuple[TrackingClient, RegistryClient]
) -> None:
    from jupyter_mltrack.widgets import MetricPlot, RunComparison, RunsTable

    client, registry = clients
    table = RunsTable(seeded.experiment_id, client=client, registry=registry)
    assert_inert("RunsTable", html_of(table))
    comparison = RunComparison(seeded.run_ids[1:4], client=client, registry=registry)
    assert_inert("RunComparison", html_of(comparison))
    # Trace names reach plotly.js, whose own sanitiser renders only a few text tags; that the
    # legend runs nothing is checked in Chromium (tests/browser/test_injection_browser.py).
    plot = MetricPlot(seeded.run_ids[1:4], ["acc"], client=client, registry=registry)
    pieces = html_of(plot)
    checked["MetricPlot"] += len(pieces)
    assert not [hit for piece in pieces for hit in live_markup(piece)]


def test_run_view_and_artifact_previews(
    seeded: InjectionStore, clients: tuple[TrackingClient, RegistryClient]
) -> None:
    from jupyter_mltrack.widgets import ArtifactBrowser, RunView

    client, registry = clients
    for run_id in seeded.run_ids[:3]:
        assert_inert("RunView", html_of(RunView(run_id, client=client, registry=registry)))
    browser = ArtifactBrowser(seeded.run_ids[1], client=client, registry=registry)
    click_all(browser, "mltrack-artifact-dir")
    pieces = []
    for file_button in [
        w for w in walk(browser) if isinstance(w, ipywidgets.Button)
        if "mltrack-artifact-file" in w._dom_classes
    ]:  # fmt: skip
        file_button.click()
        pieces += html_of(browser)
    assert len(pieces) > 5
    assert_inert("ArtifactBrowser previews", pieces)


def test_registry_overview_experiments_and_dashboard(
    seeded: InjectionStore, clients: tuple[TrackingClient, RegistryClient]
) -> None:
    from jupyter_mltrack.widgets import (
        Dashboard,
        ExperimentOverview,
        ExperimentsList,
        RegistryPanel,
    )

    client, registry = clients
    panel = RegistryPanel(client=client, registry=registry)
    pieces = html_of(panel)
    click_all(panel, "mltrack-version")
    pieces += html_of(panel)
    assert_inert("RegistryPanel", pieces)
    assert "javascript:" not in "".join(pieces).replace("javascript:window", "")
    overview = ExperimentOverview(seeded.experiment_id, client=client, registry=registry)
    assert_inert("ExperimentOverview", html_of(overview))
    assert_inert("ExperimentsList", html_of(ExperimentsList(client=client, registry=registry)))
    dashboard = Dashboard(seeded.experiment_id, True, client=client, registry=registry)
    assert_inert("Dashboard", html_of(dashboard))


def test_markdown_links_with_javascript_are_neutralised() -> None:
    from jupyter_mltrack.widgets._markdown import _minimal, render_markdown

    for renderer in (render_markdown, _minimal):
        rendered = renderer(MARKDOWN + "\n\n[x](JaVaScRiPt:alert(1)) [y]( javascript:alert(1))")
        checked["markdown"] += 1
        assert not live_markup(rendered), rendered
        assert 'href="javascript' not in rendered.lower() and "<script" not in rendered.lower()


def test_rich_displays_escape_names_and_values(
    seeded: InjectionStore, clients: tuple[TrackingClient, RegistryClient]
) -> None:
    from jupyter_mltrack.notebook import displays
    from jupyter_mltrack.notebook.runs_html import RunsListing, runs_html
    from jupyter_mltrack.notebook.summary import summarize

    client, registry = clients
    runs = [client.get_run(run_id) for run_id in seeded.run_ids]
    experiment = client.get_experiment(seeded.experiment_id)
    model = registry.get_registered_model(seeded.model)
    version = registry.get_model_version(seeded.model, 1)
    pieces = [displays.run_html(run) for run in runs]
    pieces += [displays.experiment_html(experiment), displays.registered_model_html(model)]
    pieces += [displays.model_version_html(version)]
    pieces.append(
        runs_html(RunsListing(EXPERIMENT, seeded.experiment_id, runs, "params.x = '<b>'"))
    )
    pieces += [summarize(client, run)._repr_html_() for run in runs]
    assert_inert("rich displays", pieces)


def test_static_pages_keep_payloads_out_of_their_scripts(
    seeded: InjectionStore, tmp_path: Path
) -> None:
    """``mltrack report --output`` and plot pages embed user text in JSON inside ``<script>``:
    a ``</script>`` in it must not close the script."""
    import plotly.graph_objects as go

    from jupyter_mltrack.tracking.artifact_content import plotly_page

    page = tmp_path / "report.html"
    uri = ["--tracking-uri", seeded.uri]
    result = CliRunner().invoke(
        main, [*uri, "report", f"models:/{seeded.model}/1", "-o", str(page)]
    )
    assert result.exit_code == 0, result.output
    figure = go.Figure(go.Scatter(x=[1], y=[1], name=END_SCRIPT))
    figure.update_layout(title=END_SCRIPT)
    assert_inert("static pages", [page.read_text(), plotly_page(figure)])


def test_cli_tables_escape_terminal_control_characters(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'escapes.db'}"
    client = TrackingClient(uri)
    experiment_id = client.create_experiment(f"exp {ESCAPES}")
    run_id = client.create_run(experiment_id, run_name=f"run {ESCAPES}").info.run_id
    client.log_param(run_id, "p", ESCAPES)
    client.set_tag(run_id, "t", ESCAPES)
    runner = CliRunner()
    outputs = {}
    for args in (
        ["experiments", "list"],
        ["runs", "list"],
        ["runs", "list", "--format", "csv"],
        ["runs", "describe", run_id],
    ):
        result = runner.invoke(main, ["--tracking-uri", uri, *args])
        assert result.exit_code == 0, result.output
        outputs[" ".join(args)] = result.output
    checked["cli"] += len(outputs)
    for command, output in outputs.items():
        raw = [c for c in output if (ord(c) < 32 and c not in "\n") or 0x7F <= ord(c) < 0xA0]
        assert not raw, f"mltrack {command} printed raw control characters {raw!r}:\n{output!r}"
        assert "\\x1b[2J" in output or "\\x1b" in output, output  # shown, escaped
    # JSON keeps the exact value (JSON escapes control characters itself).
    result = runner.invoke(main, ["--tracking-uri", uri, "runs", "list", "--format", "json"])
    assert "\\u001b[2J" in result.output and "\x1b" not in result.output


def test_zz_figures() -> None:
    """Print what the tests above checked (runs last in this module)."""
    for target in sorted(checked):
        report(f"7 script-injection [{target}]", html_pieces=checked[target], live_payloads=0)
    assert checked


@pytest.mark.parametrize(
    ("markup", "live"),
    [
        (IMG, True),
        (html.escape(IMG), False),
        (SCRIPT, True),
        (html.escape(SCRIPT), False),
        ('<a href=" JavaScript:window.__pwned=1">x</a>', True),
        (f'<iframe sandbox="" srcdoc="{html.escape(SCRIPT)}"></iframe>', False),
        (f'<iframe srcdoc="{html.escape(SCRIPT)}"></iframe>', True),
        ('<script>var f = {"name": "\\u003c/script\\u003ewindow.__pwned=1"};</script>', False),
    ],
)
def test_the_detector_tells_live_markup_from_text(markup: str, live: bool) -> None:
    assert bool(live_markup(markup)) is live
