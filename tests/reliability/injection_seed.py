"""A store whose user-written text is HTML/JavaScript, and a detector of markup that came alive.

Shared by ``test_script_injection.py`` (widget HTML, rich displays, CLI) and
``tests/browser/test_injection_browser.py`` (the Voila dashboard in Chromium). Every payload sets
``window.__pwned`` if it ever runs, and carries the marker ``__pwned`` so the detector can tell an
injected element or attribute from the page's own markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jupyter_mltrack import Metric, Param, RegistryClient, RunTag, TrackingClient
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
ATTRIBUTE = "' onmouseover='window.__pwned=1' x='"
END_SCRIPT = '</script><script>window.__pwned=1</script>{"a":"'
LINK = "[click me](javascript:window.__pwned=1) and <a href=javascript:window.__pwned=1>here</a>"
MARKDOWN = f"# Notes\n\n{LINK}\n\n{IMG}\n\n{SCRIPT}\n\n[data](data:text/html,{SCRIPT})"
PAYLOADS = (IMG, SCRIPT, SVG, ATTRIBUTE, END_SCRIPT)
MARKER = "__pwned"
EXPERIMENT = f"exp {IMG}"
MODEL = 'model "><svg onload=window.__pwned=1>'
ESCAPES = "\x1b[2J\x1b[31mred\x1b]0;title\x07\r\x08"  # clear screen, colour, window title


@dataclass(frozen=True, slots=True)
class InjectionStore:
    """What the tests need to know about the seeded store."""

    uri: str
    experiment_id: str
    run_ids: list[str]
    model: str


def seed_injection_store(root: Path) -> InjectionStore:
    """Create a SQLite store under ``root`` whose names, values and descriptions are payloads."""
    root.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{root / 'mltrack.db'}"
    client = TrackingClient(uri)
    experiment_id = client.create_experiment(EXPERIMENT, tags={"note": SVG})
    client.set_experiment_tag(experiment_id, "mlflow.note.content", MARKDOWN)
    parent = client.create_run(experiment_id, run_name=f"parent {SVG}", start_time=1).info.run_id
    run_ids = [parent]
    for n, payload in enumerate(PAYLOADS):
        run = client.create_run(
            experiment_id,
            run_name=f"run-{n} {payload}",
            start_time=10 + n,
            tags={PARENT_RUN_ID: parent, "note": payload, "mlflow.note.content": MARKDOWN},
        )
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric(key=key, value=0.5 + n / 10 + step / 100, timestamp=step, step=step)
                for key in ("acc", "loss")
                for step in range(3)
            ],
            params=[Param(key="payload", value=payload), Param(key="model", value=SCRIPT)],
            tags=[RunTag(key="team", value=END_SCRIPT)],
        )
        client.set_terminated(run_id, end_time=100 + n)
        run_ids.append(run_id)
    _log_payload_artifacts(client, run_ids[1], root)
    model = _register(client, RegistryClient(uri), run_ids[1])
    return InjectionStore(uri, experiment_id, run_ids, model)


def _log_payload_artifacts(client: TrackingClient, run_id: str, root: Path) -> None:
    folder = root / "payload-artifacts"
    folder.mkdir()
    (folder / f"{IMG}.txt").write_text(SCRIPT)
    (folder / "README.md").write_text(MARKDOWN)
    (folder / "page.html").write_text(f"<html><body>{SCRIPT}{IMG}</body></html>")
    (folder / "data.json").write_text(json.dumps({"x": END_SCRIPT, "y": IMG}))
    (folder / "table.csv").write_text(f"name,value\n{IMG},1\n")
    for path in folder.iterdir():
        client.log_artifact(run_id, path, "payloads")


def _register(client: TrackingClient, registry: RegistryClient, run_id: str) -> str:
    registry.create_registered_model(MODEL, tags={"owner": IMG}, description=MARKDOWN)
    version = registry.create_model_version(
        MODEL, f"runs:/{run_id}/payloads", run_id, tags={"note": SVG}, description=MARKDOWN
    )
    registry.set_registered_model_alias(MODEL, "champion", version.version)
    registry.transition_model_version_stage(MODEL, version.version, "Staging")
    return MODEL


class _Detector(HTMLParser):
    """Collect markup a payload made live: event-handler attributes, script bodies and
    ``javascript:`` URLs that carry the marker, and elements a payload created."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") and MARKER in value:
                self.found.append(f"<{tag} {name}={value!r}>")
            url = name in ("href", "src", "action", "formaction", "xlink:href", "data")
            if url and value.strip().lower().startswith(("javascript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "srcdoc" and MARKER in value:
                sandbox = dict(attrs).get("sandbox")
                if sandbox is None or "allow-scripts" in sandbox:
                    self.found.append(f"<{tag} srcdoc> without a script-free sandbox")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        # A payload's script holds its code; the page's own scripts may carry payloads only
        # inside escaped JSON strings, which is safe.
        if self._in_script and data.strip().startswith(f"window.{MARKER}"):
            self.found.append(f"<script>{data[:80]}")


def live_markup(html: str) -> list[str]:
    """Return the payload markup that ``html`` would make live in a browser (empty if none)."""
    detector = _Detector()
    detector.feed(html)
    detector.close()
    return detector.found
