"""The stakeholder model report: facts, HTML sections, the static file and ``mltrack report``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from report_seed import MODEL, PAYLOAD, ReportStore, seed_report_store

from jupyter_mltrack.apps.report import gather_model_report, write_static_report
from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.widgets._app_mode import app_mode
from jupyter_mltrack.widgets._report_html import report_sections


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ReportStore:
    return seed_report_store(tmp_path_factory.mktemp("report-store"))


def test_alias_report_compares_with_the_previous_holder(store: ReportStore) -> None:
    facts = gather_model_report(f"models:/{MODEL}@champion", store.uri)
    assert facts.version.version == 2 and facts.place == "alias champion"
    assert facts.previous is not None and facts.previous.version == 1
    assert facts.run is not None and facts.run.info.run_id == store.run_v2
    assert facts.previous_run is not None and facts.previous_run.info.run_id == store.run_v1
    assert facts.aliases == ["champion"] and facts.promoted_at is not None
    assert {name for name, _kind, _extra in facts.inputs} >= {"mean radius", "mean texture"}
    assert "sklearn" in facts.flavors and "python_function" in facts.flavors
    titles = [plot.path for plot in facts.plots]
    assert any("roc" in path for path in titles) and all(p.endswith(".json") for p in titles)
    kinds = [(event.kind, event.to_value) for event in facts.history]
    assert ("alias_set", "2") in kinds and ("stage", "Production") in kinds


def test_metrics_table_colours_changes_by_direction(store: ReportStore) -> None:
    facts = gather_model_report(f"models:/{MODEL}/Production", store.uri)
    assert facts.place == "Production" and facts.previous is not None
    table = report_sections(facts)["metrics"]
    assert "roc_auc" in table and "version 1" in table
    mine, theirs = facts.run.data.metrics, facts.previous_run.data.metrics  # type: ignore[union-attr]
    better = "mltrack-better" if mine["roc_auc"] > theirs["roc_auc"] else "mltrack-worse"
    row = re.search(r"<td>roc_auc</td>.*?</tr>", table)
    assert row is not None and better in row.group(0)


def test_every_user_value_is_escaped(store: ReportStore) -> None:
    facts = gather_model_report(f"models:/{MODEL}@champion", store.uri)
    page = "".join(report_sections(facts).values())
    assert PAYLOAD not in page and "<img" not in page
    assert html_escaped(PAYLOAD) in page  # shown, as text
    assert not re.search(r"href=.?javascript:", page)  # the markdown link is not a link


def html_escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_static_file_is_self_contained(store: ReportStore, tmp_path: Path) -> None:
    out = write_static_report(f"models:/{MODEL}@champion", tmp_path / "report.html",
                              tracking_uri=store.uri)  # fmt: skip
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "Plotly.newPlot" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing to fetch
    assert PAYLOAD not in page and str(tmp_path.parent) not in page  # no server paths either
    assert not list(tmp_path.glob(".*partial"))
    assert not app_mode()  # the caller's process (maybe the user's own notebook) is left as it was


def test_version_without_a_place_is_compared_with_the_version_before(store: ReportStore) -> None:
    facts = gather_model_report(f"models:/{MODEL}/1", store.uri)
    assert facts.version.version == 1 and facts.previous is None
    assert "-" in report_sections(facts)["metrics"]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/nope@champion", "nope"),
        (f"models:/{MODEL}@nobody", "nobody"),
        (f"models:/{MODEL}/7", "7"),
        ("runs:/abc/model", "models:/"),
    ],
)
def test_unknown_models_are_one_clear_error(store: ReportStore, uri: str, expected: str) -> None:
    with pytest.raises(MltrackError, match=re.escape(expected)):
        gather_model_report(uri, store.uri)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "jupyter_mltrack", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_cli_writes_the_static_report(store: ReportStore, tmp_path: Path) -> None:
    out = tmp_path / "churn.html"
    done = _cli("--tracking-uri", store.uri, "report", f"models:/{MODEL}@champion", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout and "version 2" in out.read_text()


@pytest.mark.parametrize("uri", ["models:/nope@champion", "not-a-uri"])
def test_cli_refuses_unknown_models_before_serving(store: ReportStore, uri: str) -> None:
    done = _cli("--tracking-uri", store.uri, "report", uri, "--port", "1")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Serving" not in done.stdout


def test_cli_refuses_a_missing_store(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "mltrack.db"
    done = _cli("--tracking-uri", f"sqlite:///{missing}", "report", f"models:/{MODEL}/1")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert json.dumps(str(missing))[1:-1] not in done.stdout
