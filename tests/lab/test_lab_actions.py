"""Actions that change things: a project run from the dialog, an alias set in the registry."""

from __future__ import annotations

import json
import re
from typing import Any

from browser_pages import SCREENSHOTS, screenshot
from labext_pages import Lab, command, open_lab, open_notebook
from labext_seed import PROJECT, PROJECT_EXPERIMENT

from jupyter_mltrack import RegistryClient


def test_project_run_from_dialog_goes_running_then_finished(page: Any, lab: Lab) -> None:
    api_requests: list[str] = []
    page.on("request", lambda r: "/mltrack/api/runs" in r.url and api_requests.append(r.url))
    open_lab(page, lab.url)
    open_notebook(page, PROJECT)
    command(page, "mltrack:run-as-project")
    dialog = page.locator(".jp-Dialog")
    steps = dialog.locator("input[data-param=steps]")
    steps.wait_for()
    assert steps.input_value() == "4"  # pre-filled from the parameters cell
    assert dialog.locator("input[data-param=alpha]").input_value() == "0.5"
    steps.fill("5")
    dialog.locator("#mltrack-param-experiment").fill(PROJECT_EXPERIMENT)
    screenshot(page, "lab-run-as-project")
    dialog.locator(".jp-mod-accept").click()
    sidebar = page.locator("#mltrack-sidebar")
    running = sidebar.locator(
        ".mltrack-run-row.mltrack-highlighted .mltrack-badge", has_text="running"
    )
    running.wait_for(timeout=60_000)
    screenshot(page, "lab-project-running")
    visible = _count_for(page, api_requests, 4_000)
    assert visible >= 1, "the sidebar must poll while a shown run is RUNNING"
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    hidden = _count_for(page, api_requests, 4_000)
    assert hidden == 0, "a hidden sidebar must not poll"
    command(page, "mltrack:open-sidebar")
    experiment = sidebar.locator("li.mltrack-experiment").filter(
        has=page.locator(".mltrack-experiment-name", has_text=re.compile(f"^{PROJECT_EXPERIMENT}$"))
    )
    experiment.locator(".mltrack-badge", has_text="finished").wait_for(timeout=120_000)
    assert experiment.locator(".mltrack-badge", has_text="running").count() == 0
    # Nothing shown is RUNNING any more: the poll stands by (no further requests).
    page.wait_for_timeout(500)
    settled = _count_for(page, api_requests, 5_000)
    assert settled == 0
    _record_polling(visible=visible * 15, hidden=hidden * 15, settled=settled * 12)
    # "Re-run with changes…" pre-fills the dialog with the run's own parameters.
    experiment.locator(".mltrack-run-name").first.click()
    view = page.locator(".mltrack-run-view").last
    view.get_by_role("button", name="Re-run with changes…").click()
    rerun = page.locator(".jp-Dialog")
    assert rerun.locator("input[data-param=steps]").input_value() == "5"
    rerun.locator(".jp-mod-reject").click()


def _count_for(page: Any, requests: list[str], ms: int) -> int:
    """How many of the recorded requests happen in the next ``ms`` milliseconds."""
    before = len(requests)
    page.wait_for_timeout(ms)
    return len(requests) - before


def _record_polling(**per_minute: int) -> None:
    """Keep the measured polling cost (runs requests per minute) for the report."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "lab-polling.json").write_text(json.dumps(per_minute))


def test_alias_set_in_registry_panel_is_in_the_store(page: Any, lab: Lab) -> None:
    model = lab.store.model_name
    open_lab(page, lab.url)
    command(page, "mltrack:open-registry")
    panel = page.locator(".mltrack-registry").last
    panel.locator(".mltrack-model-item", has_text=model).click()
    panel.locator("h1", has_text=model).wait_for()
    panel.locator(".mltrack-alias-input").fill("champion")
    panel.locator(".mltrack-alias-version").select_option(str(lab.store.versions[1]))
    panel.locator(".mltrack-alias-form button[type=submit]").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert "champion" in dialog.inner_text()
    dialog.locator(".jp-mod-warn").click()
    version_row = panel.locator(f"tr[data-version='{lab.store.versions[1]}']")
    version_row.locator(".mltrack-alias", has_text="@champion").wait_for()
    screenshot(page, "lab-registry")
    registry = RegistryClient(lab.store.uri)
    stored = registry.get_model_version_by_alias(model, "champion")
    assert str(stored.version) == str(lab.store.versions[1])
    # A stage transition asks too, then shows the new stage.
    stage = version_row.locator(".mltrack-stage-select")
    stage.select_option("Production")
    dialog.wait_for()
    dialog.locator(".jp-mod-warn").click()
    page.wait_for_function(
        "v => document.querySelector(`tr[data-version='${v}'] .mltrack-stage-select`)"
        "?.value === 'Production'",
        arg=str(lab.store.versions[1]),
    )
    version = registry.get_model_version(model, str(lab.store.versions[1]))
    assert version.current_stage == "Production"
