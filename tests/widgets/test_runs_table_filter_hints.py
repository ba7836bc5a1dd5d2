"""The runs table's filter box (issue 12, item 6): wrapped error messages, "did you mean" from the
known keys, and a warning when a filter names a key that no run has."""

from __future__ import annotations

from test_runs_table_columns import make_sweep

from jupyter_mltrack.widgets._filter_hints import did_you_mean, suggest
from jupyter_mltrack.widgets._table_render import filter_error_html
from jupyter_mltrack.widgets.runs_table import RunsTable

SEEN = {"metric": {"roc_auc", "accuracy"}, "param": {"learning_rate"}, "tag": {"team"}}


def test_suggestions_fix_typos_and_wrong_prefixes() -> None:
    assert suggest("metrics.roc_acu", SEEN) == "metrics.roc_auc"
    assert suggest("params.roc_auc", SEEN) == "metrics.roc_auc"  # right key, wrong prefix
    assert suggest("roc_auc", SEEN) == "metrics.roc_auc"  # a bare name means an attribute
    assert suggest("metrics.zzz", SEEN) is None
    assert did_you_mean("metrics.roc_acu > 0.9", SEEN) == (
        "Did you mean <code>metrics.roc_auc</code>?"
    )
    # quoted values and known names are not suggestions' business
    assert did_you_mean("params.learning_rate = 'roc_acu' and status = 'FINISHED'", SEEN) == ""


def test_error_message_wraps_below_the_scrolling_filter() -> None:
    block = filter_error_html("metrics.acc >> 1", "filter_string: expected a number at column 13")
    pre, message = block.split("</pre>")
    assert "white-space:pre;overflow-x:auto" in pre  # the filter and caret scroll sideways
    assert 'class="mltrack-filter-message"' in message  # the message wraps (shared CSS)
    assert "#fff" not in block  # no light box in the dark theme


def test_bad_filter_suggests_the_known_key(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    table.set_filter("metrics.roc_acu >> 0.9")
    assert "Did you mean <code>metrics.roc_auc</code>?" in table.filter_error.value


def test_a_key_no_run_has_is_named_with_a_suggestion(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    table.set_filter("metrics.roc_acu > 0.5")
    assert table.notice.kind == "info"
    assert table.notice.message == "No run has metrics.roc_acu. Did you mean metrics.roc_auc?"
    table.set_filter("metrics.roc_auc > 5")  # the key exists: just nothing matches
    assert table.notice.message.startswith("No runs match")


def test_a_key_seen_on_no_page_is_checked_in_the_store(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client, filter_string="params.seed = '1'")
    assert table.notice.message == "No run has params.seed."  # and it was not on any page
    sweep.add("late", params={"seed": 0})
    table.set_filter("params.seed = '1' and metrics.roc_auc > 0")
    assert table.notice.message.startswith("No runs match")  # seed exists now (in the store)
    first = RunsTable("demo-sweep", client=sweep.client, filter_string="metrics.roc_acu > 1")
    assert "Did you mean metrics.roc_auc?" in first.notice.message  # keys learnt from a page
    assert "metrics.roc_auc" in first.chooser.options
