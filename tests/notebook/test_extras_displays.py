"""Rich displays: HTML/plain formatters for entities on a real InteractiveShell."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_mltrack.entities import Experiment, Metric, Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.entities.registry import ModelStage, ModelVersion, RegisteredModel
from jupyter_mltrack.notebook.displays import (
    format_duration,
    install_rich_displays,
    sparkline_svg,
)

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    install_rich_displays(shell)
    install_rich_displays(shell)  # idempotent
    yield shell


def _formats(ip: InteractiveShell, obj: object) -> dict[str, str]:
    assert ip.display_formatter is not None
    data, _ = ip.display_formatter.format(obj)
    return data


def _run() -> Run:
    info = RunInfo(
        run_id="r" * 32,
        experiment_id="1",
        run_name=f"name{EVIL}",
        user_id="me",
        status=RunStatus.FINISHED,
        start_time=1_700_000_000_000,
        end_time=1_700_000_125_000,
        artifact_uri="file:///a",
    )
    data = RunData(
        metrics={"acc": 0.9, "loss": float("nan")},
        params={"lr": EVIL},
        tags={"team": "ml", "mltrack.source.name": "nb.ipynb"},
    )
    return Run(info=info, data=data)


def test_run_html_shows_info_params_metrics_tags_escaped(ip: InteractiveShell) -> None:
    data = _formats(ip, _run())
    html = data["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    for fragment in ("r" * 32, "FINISHED", "2m 05s", "acc", "0.9", "nan", "team", "System tags"):
        assert fragment in html
    assert "status=FINISHED" in data["text/plain"]


def test_experiment_html(ip: InteractiveShell) -> None:
    experiment = Experiment(experiment_id="7", name=EVIL, artifact_location="/x", tags={"k": EVIL})
    data = _formats(ip, experiment)
    assert "<script>" not in data["text/html"] and "&lt;script&gt;" in data["text/html"]
    assert "id=7" in data["text/plain"]


def _history(n: int, key: str = "loss") -> list[Metric]:
    return [Metric(key=key, value=1.0 / (i + 1), timestamp=i, step=i) for i in range(n)]


def test_short_metric_history_is_a_table(ip: InteractiveShell) -> None:
    html = _formats(ip, _history(3))["text/html"]
    assert "<table>" in html and "3 point(s)" in html and "<svg" not in html


def test_long_metric_history_is_a_sparkline(ip: InteractiveShell) -> None:
    html = _formats(ip, _history(50) + _history(20, key=EVIL))["text/html"]
    assert html.count("<svg") == 2 and "50 point(s)" in html
    assert "<script>" not in html


def test_other_lists_are_not_affected(ip: InteractiveShell) -> None:
    assert "text/html" not in _formats(ip, [1, 2, 3])
    assert "text/html" not in _formats(ip, [])


def test_model_version_and_registered_model(ip: InteractiveShell) -> None:
    version = ModelVersion(
        name="churn",
        version=3,
        creation_timestamp=0,
        last_updated_timestamp=0,
        source=EVIL,
        current_stage=ModelStage.PRODUCTION,
        aliases=("champion",),
        run_id="abc",
    )
    html = _formats(ip, version)["text/html"]
    assert "Production" in html and "champion" in html and "<script>" not in html
    model = RegisteredModel(
        name="churn",
        creation_timestamp=0,
        last_updated_timestamp=0,
        description=EVIL,
        aliases={"champion": 3},
        latest_versions=(version,),
    )
    html = _formats(ip, model)["text/html"]
    assert "Production" in html and "champion" in html and "<script>" not in html


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (0, 420, "0.42s"),
        (0, 12_300, "12.3s"),
        (0, 185_000, "3m 05s"),
        (0, 7_260_000, "2h 01m"),
        (0, None, "-"),
        (10, 5, "-"),
    ],
)
def test_format_duration(start: int, end: int | None, text: str) -> None:
    assert format_duration(start, end) == text


def test_sparkline_skips_non_finite_and_needs_two_points() -> None:
    assert sparkline_svg([1.0]) == ""
    svg = sparkline_svg([1.0, float("nan"), 3.0, 2.0])
    assert svg.startswith("<svg") and svg.count(",") == 3
