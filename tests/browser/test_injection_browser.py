"""Script injection in real Chromium: the Voila dashboard over a store full of payloads.

Run names, params, tags, the experiment's name and note, the registered model's name and its
markdown descriptions, and artifact names and contents are HTML/JavaScript that would set
``window.__pwned`` if it ran (``tests/reliability/injection_seed.py``). The page is walked
through its tabs (summary, runs, compare, a run's view and artifacts, the model registry) and
after each step: no payload ran (``window.__pwned`` is undefined), no payload element exists
(an ``img[src=x]``, an element with a payload event handler, a ``javascript:`` link), and the
payload text is on the page as text.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_pages import screenshot
from playwright.sync_api import expect

from jupyter_mltrack.apps.voila import descendant_pids, stop_processes

# The seed lives with the reliability suite, which checks the same store without a browser.
sys.path.insert(0, str(Path(__file__).parents[1] / "reliability"))
from injection_seed import EXPERIMENT, IMG, InjectionStore, seed_injection_store
from reliability_figures import report

pytestmark = pytest.mark.browser

#: Elements and attributes a payload would create if it were parsed as markup.
INJECTED = (
    'img[src="x"], svg[onload], [onerror], [onload*="__pwned"], [onmouseover*="__pwned"], '
    'a[href^="javascript:" i], iframe[srcdoc*="__pwned"]:not([sandbox=""])'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def injected_dashboard(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, InjectionStore]]:
    """``mltrack dashboard --experiment <payload name>`` over the payload store (read-only)."""
    root = tmp_path_factory.mktemp("injection-dashboard")
    store = seed_injection_store(root / "store")
    port = free_port()
    log = root / "dashboard.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLTRACK_")}
    command = [sys.executable, "-m", "jupyter_mltrack", "--tracking-uri", store.uri]
    command += ["dashboard", "--port", str(port), "--experiment", EXPERIMENT]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env | {"PYTHONUNBUFFERED": "1"},
            cwd=root, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while f"at {url}" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"dashboard did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    yield url, store
    children = descendant_pids(process.pid)
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    stop_processes(children)


STEPS: list[str] = []


def assert_nothing_ran(page: Any, step: str) -> None:
    page.wait_for_timeout(300)  # an onerror fires right after the element is inserted
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{step}: a payload ran"
    found = page.evaluate(
        "(sel) => [...document.querySelectorAll(sel)].map((e) => e.outerHTML.slice(0, 200))",
        INJECTED,
    )
    assert found == [], f"{step}: payload elements on the page: {found}"
    assert page.page_errors == [], f"{step}: {page.page_errors}"
    STEPS.append(step)


def open_tab(page: Any, title: str) -> None:
    page.locator(".mltrack-dashboard-tabs .lm-TabBar-tab", has_text=title).click()


def test_no_payload_runs_or_becomes_markup(
    page: Any, injected_dashboard: tuple[str, InjectionStore]
) -> None:
    url, store = injected_dashboard
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".mltrack-app-header")
    page.locator(".mltrack-overview-summary .mltrack-overview").wait_for()
    assert_nothing_ran(page, "summary")
    assert IMG in page.locator("body").inner_text()  # shown, as text

    open_tab(page, "Runs")
    rows = page.locator(".mltrack-runs-table .mltrack-row:visible")
    rows.first.wait_for()
    expect(rows).to_have_count(len(store.run_ids))
    assert "<script>window.__pwned=1</script>" in page.locator(".mltrack-runs-table").inner_text()
    assert_nothing_ran(page, "runs table")
    for run_id in store.run_ids[1:3]:
        page.locator(
            f".mltrack-runs-table .mltrack-select.mltrack-run-{run_id} input[type=checkbox]"
        ).check()
    page.locator(".mltrack-runs-table button.mltrack-compare").click()
    page.wait_for_timeout(2000)  # the comparison and its plots render
    assert_nothing_ran(page, "comparison")
    screenshot(page, "injection-compare")

    open_tab(page, "Models")
    panel = page.locator(".mltrack-registry-panel")
    panel.locator(".mltrack-description, .mltrack-model").first.wait_for()
    assert "click me" in panel.inner_text()  # the javascript: link's text, not a link
    assert_nothing_ran(page, "registry")
    panel.locator(".mltrack-run-link").first.click()
    artifacts = panel.locator(".mltrack-artifact-browser")
    artifacts.locator(".mltrack-artifact-dir", has_text="payloads").first.click()
    for name in ("README.md", "page.html", "data.json", "table.csv", ".txt"):
        artifacts.locator(".mltrack-artifact-file", has_text=name).first.click()
        page.wait_for_timeout(500)
        assert_nothing_ran(page, f"artifact preview {name}")
    screenshot(page, "injection-registry-artifacts", panel)

    # The check is live: the same payload, inserted as markup, does run in this page.
    page.evaluate("(html) => document.body.insertAdjacentHTML('beforeend', html)", IMG)
    page.wait_for_function("window.__pwned === 1")
    report("7 script-injection [voila dashboard, chromium]", steps=len(STEPS), ran=0, elements=0)
