"""The inline run summary in-process: rounded numbers, coloured status, actions, escaping."""

from __future__ import annotations

import json
import re

import pytest

from jupyter_mltrack.notebook.summary import STATUS_COLORS, RunSummary, format_value

RUN_ID = "0123456789abcdef0123456789abcdef"


def _summary(**overrides: object) -> RunSummary:
    fields: dict[str, object] = {
        "run_name": "baseline",
        "run_id": RUN_ID,
        "status": "FINISHED",
        "duration_s": 1.23456,
        "params": {"lr": "0.001"},
        "metrics": {"loss": 0.123456789, "epochs": 10.0},
        "artifact_count": 2,
    }
    fields.update(overrides)
    return RunSummary(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.123456789, "0.1235"), (10.0, "10"), (123456.7, "1.235e+05"), (float("nan"), "nan")],
)
def test_numbers_are_rounded(value: float, shown: str) -> None:
    assert format_value(value) == shown


def test_status_is_a_coloured_badge() -> None:
    for status, color in STATUS_COLORS.items():
        html = _summary(status=status)._repr_html_()
        assert f"background:{color}" in html and f">{status}</span>" in html


def test_open_button_always_compare_only_for_a_rerun() -> None:
    first = _summary()._repr_html_()
    assert "data-commandlinker-command='mltrack:open-run'" in first
    assert "mltrack:compare" not in first
    rerun = _summary(previous_run_id="f" * 32)._repr_html_()
    args = re.search(
        r"data-commandlinker-command='mltrack:compare' data-commandlinker-args='([^']*)'", rerun
    )
    assert args is not None
    assert json.loads(args.group(1).replace("&quot;", '"')) == {"runIds": ["f" * 32, RUN_ID]}


def test_user_data_is_escaped_and_long_lists_are_cut() -> None:
    params = {f"p{i}": "<b>x</b>" for i in range(12)}
    html = _summary(run_name="<script>x</script>", params=params)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>x</b>" not in html
    assert "(+4 more)" in html


def test_plain_text_keeps_the_name_and_the_full_id() -> None:
    text = repr(_summary())
    assert "baseline" in text and RUN_ID in text and "loss=0.1235" in text
