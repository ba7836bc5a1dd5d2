"""RunsTable on a sweep (issue 12, items 2 and 5): the columns that matter, the searchable column
chooser, choices remembered per experiment, nested runs grouped under their parent with an
expander, sibling labels and re-run marks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Metric, Param, Run, RunData, RunInfo, RunStatus
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID, RERUN_OF
from jupyter_mltrack.widgets._columns import column_spread, pick_columns
from jupyter_mltrack.widgets._labels import run_labels
from jupyter_mltrack.widgets._nesting import arrange
from jupyter_mltrack.widgets._table_render import Column
from jupyter_mltrack.widgets.runs_table import RunsTable

T0 = 1_700_000_000_000
GRID = [(0.05, 2), (0.05, 3), (0.2, 2), (0.2, 3)]


@dataclass
class Sweep:
    """A store holding one sweep like ``make demo``'s: parent, trials, one ``fit`` per trial."""

    client: TrackingClient
    experiment_id: str
    runs: dict[str, str] = field(default_factory=dict)
    clock: int = T0

    def add(self, name: str, *, parent: str | None = None, tags=None, params=None, metrics=None):  # type: ignore[no-untyped-def]
        self.clock += 1000
        tags = dict(tags or {}) | ({PARENT_RUN_ID: self.runs[parent]} if parent else {})
        run = self.client.create_run(
            self.experiment_id, run_name=name, start_time=self.clock, tags=tags
        )
        run_id = run.info.run_id
        self.client.log_batch(
            run_id,
            metrics=[
                Metric(key=k, value=v, timestamp=self.clock, step=0)
                for k, v in (metrics or {}).items()
            ],
            params=[Param(key=k, value=str(v)) for k, v in (params or {}).items()],
        )
        self.client.set_terminated(run_id, end_time=self.clock + 500)
        self.runs[name] = run_id
        return run_id


def make_sweep(tmp_path) -> Sweep:  # type: ignore[no-untyped-def]
    client = TrackingClient(f"sqlite:///{tmp_path / 'sweep.db'}")
    sweep = Sweep(client, client.create_experiment("demo-sweep"))
    sweep.add(
        "sweep-main",
        tags={"mltrack.sweep": "grid"},
        params={"sweep.metric": "roc_auc", "sweep.mode": "max", "best_max_depth": 2},
        metrics={"best_roc_auc": 0.99},
    )
    for i, (lr, depth) in enumerate(GRID):
        common = {"learning_rate": lr, "max_depth": depth, "n_estimators": 40, "data_uri": ""}
        sweep.add(
            f"trial-{i}",
            parent="sweep-main",
            tags={"mltrack.sweep.trial": str(i)},
            params=common,
            metrics={"accuracy": 0.9 + i / 100, "roc_auc": 0.95 + i / 100, "example_count": 171},
        )
        sweep.add(f"fit-{i}", parent=f"trial-{i}", params=common, metrics={"loss": 0.3 - i / 50})
    return sweep


def names(table: RunsTable) -> list[str]:
    return [row["run_name"] for row in table.rows_shown()]


# -- default columns ---------------------------------------------------------------------------
def test_default_columns_are_the_objective_and_what_varies(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    shown = [c.name for c in table.columns or []]
    assert table.objective == "roc_auc"
    assert shown[:3] == ["run_name", "status", "metrics.roc_auc"]  # the sweep's objective
    assert shown[3:5] == ["params.learning_rate", "params.max_depth"]  # the swept params
    # constant (n_estimators, example_count) and empty (data_uri) keys are left out
    for hidden in ("params.n_estimators", "metrics.example_count", "params.data_uri"):
        assert hidden not in shown
        assert hidden in table.chooser.options  # still offered, after the others
    assert table.chooser.options.index("params.data_uri") > table.chooser.options.index(
        "metrics.loss"
    )
    assert shown[-2:] == ["start_time", "duration"]


def test_trials_without_their_sweep_on_the_page_still_lead_with_its_metric(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable(
        "demo-sweep", client=sweep.client, filter_string="tags.`mltrack.sweep.trial` IS NOT NULL"
    )
    assert "sweep-main" not in names(table)  # only trials: the sweep parent is fetched by id
    assert table.objective == "roc_auc"
    assert (table.columns or [])[2] == Column("metric", "roc_auc")


def test_an_objective_picked_for_the_experiment_leads(tmp_path) -> None:
    client = TrackingClient(f"sqlite:///{tmp_path / 'plain.db'}")
    experiment_id = client.create_experiment("plain")
    for i in range(3):
        run_id = client.create_run(experiment_id, run_name=f"r{i}").info.run_id
        client.log_metric(run_id, "accuracy", 0.5 + i / 10)
        client.log_metric(run_id, "zz_score", 1.0 + i)
    client.set_experiment_tag(experiment_id, "mltrack.objective", "zz_score:max")
    table = RunsTable("plain", client=client)
    assert table.objective == "zz_score"
    assert (table.columns or [])[2] == Column("metric", "zz_score")


def test_keys_named_in_the_filter_or_sort_come_first(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    table.set_filter("params.n_estimators = '40'")
    assert "params.n_estimators" in [c.name for c in table.columns or []]  # constant, but named
    table.sort_by("metrics.example_count", ascending=False)
    assert "metrics.example_count" in [c.name for c in table.columns or []][:5]


def test_pick_columns_and_spread_on_plain_runs() -> None:
    runs = [_run(f"r{i}", params={"a": "1", "b": str(i), "c": ""}) for i in range(3)]
    spread = column_spread(runs)
    assert spread[Column("param", "a")] == ("constant", 3)
    assert spread[Column("param", "b")] == ("varying", 3)
    assert spread[Column("param", "c")] == ("empty", 0)
    picked = pick_columns(runs)
    assert Column("param", "b") in picked and Column("param", "a") not in picked
    one = pick_columns(runs[:1])  # a single run varies in nothing: show what it holds
    assert Column("param", "a") in one and Column("param", "c") not in one


# -- the column chooser ------------------------------------------------------------------------
def test_chooser_searches_ticks_and_puts_new_columns_in_view(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    chooser = table.chooser
    chooser.toggle.value = True
    chooser.search.value = "estim"
    boxes = chooser.list.children
    assert [b.description for b in boxes] == ["params.n_estimators  (constant)"]
    boxes[0].value = True  # a click
    assert [c.name for c in table.columns or []][:3] == [
        "run_name",
        "status",
        "params.n_estimators",
    ]
    chooser.search.value = ""
    ticked = [b.description.split("  (")[0] for b in chooser.list.children if b.value]
    assert ticked[:3] == ["run_name", "status", "params.n_estimators"]
    roc = next(b for b in chooser.list.children if b.description == "metrics.roc_auc")
    roc.value = False
    assert "metrics.roc_auc" not in [c.name for c in table.columns or []]


def test_column_choices_are_remembered_per_experiment(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    first = RunsTable("demo-sweep", client=sweep.client)
    first.set_columns(["run_name", "params.seed", "metrics.accuracy"])
    again = RunsTable("demo-sweep", client=sweep.client)
    assert [c.name for c in again.columns or []] == ["run_name", "params.seed", "metrics.accuracy"]
    other = sweep.client.create_experiment("other")
    assert RunsTable(other, client=sweep.client).columns != again.columns
    again.reset_columns()
    assert (again.columns or [])[2] == Column("metric", "roc_auc")
    assert RunsTable("demo-sweep", client=sweep.client).columns == again.columns


# -- nested runs -------------------------------------------------------------------------------
def test_children_are_grouped_under_their_parent_and_fold(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client)
    expected = ["sweep-main"]
    for i in reversed(range(len(GRID))):  # newest first among siblings
        expected += [f"trial-{i}", f"fit-{i}"]
    assert names(table) == expected
    depths = {row.run.info.run_name: row.depth for row in table.shown}
    assert (depths["sweep-main"], depths["trial-0"], depths["fit-0"]) == (0, 1, 2)
    assert table.rows.expanders[0].description == "▾" and not table.rows.expanders[0].disabled
    assert table.rows.expanders[2].disabled  # fit-3 has no children
    table.rows.expanders[0].click()
    assert names(table) == ["sweep-main"]
    assert "+4" in table.rows.cells[0].value and table.rows.expanders[0].description == "▸"
    table.toggle_children(sweep.runs["sweep-main"])
    assert names(table) == expected


def test_groups_sort_with_their_best_member(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    table = RunsTable("demo-sweep", client=sweep.client, columns=["run_name", "metrics.roc_auc"])
    table.sort_by("metrics.roc_auc", ascending=False)
    # trial-3 has the best roc_auc: its sweep leads, and the trials follow best first
    assert names(table)[:5] == ["sweep-main", "trial-3", "fit-3", "trial-2", "fit-2"]


def test_arrange_survives_parent_cycles_and_orphans() -> None:
    a = _run("a", tags={PARENT_RUN_ID: "b"})
    b = _run("b", tags={PARENT_RUN_ID: "a"})
    orphan = _run("c", tags={PARENT_RUN_ID: "gone"})
    rows = arrange([a, b, orphan])
    assert sorted(r.run.info.run_id for r in rows) == ["a", "b", "c"]
    assert next(r for r in rows if r.run.info.run_id == "c").orphan


def test_reruns_are_marked_with_their_original(tmp_path) -> None:
    sweep = make_sweep(tmp_path)
    first = sweep.add("train", params={"lr": 0.1})
    sweep.add("train", params={"lr": 0.1}, tags={RERUN_OF: first})
    table = RunsTable("demo-sweep", client=sweep.client)
    cells = [c.value for c in table.rows.cells[: len(table.shown)]]
    marked = [c for c in cells if "mltrack-rerun" in c]
    assert len(marked) == 1 and "re-run of train" in marked[0]


# -- labels ------------------------------------------------------------------------------------
def test_sibling_labels_use_the_parent_or_the_differing_params() -> None:
    fits = [
        _run(f"id{i}", "fit", params={"lr": lr, "seed": "0"}, tags={PARENT_RUN_ID: f"p{i}"})
        for i, lr in enumerate(["0.1", "0.2"])
    ]
    assert sorted(run_labels(fits).values()) == ["fit (lr=0.1)", "fit (lr=0.2)"]
    parents = {"p0": "trial-0", "p1": "trial-1"}
    assert sorted(run_labels(fits, parent_names=parents).values()) == [
        "trial-0 > fit",
        "trial-1 > fit",
    ]
    twins = [_run("abcdef1", "fit"), _run("abcdef2", "fit"), _run("solo", "other")]
    assert run_labels(twins) == {
        "abcdef1": "fit (abcdef1)",  # nothing else differs: the shortest id prefix that does
        "abcdef2": "fit (abcdef2)",
        "solo": "other",
    }


def _run(run_id: str, name: str | None = None, *, params=None, tags=None) -> Run:  # type: ignore[no-untyped-def]
    info = RunInfo(
        run_id=run_id,
        experiment_id="0",
        run_name=name or run_id,
        user_id="u",
        status=RunStatus.FINISHED,
        start_time=T0,
        end_time=T0 + 1,
        artifact_uri="",
    )
    return Run(info=info, data=RunData(params=dict(params or {}), tags=dict(tags or {})))


@pytest.fixture(autouse=True)
def _forget_column_choices():  # type: ignore[no-untyped-def]
    from jupyter_mltrack.widgets import _columns

    yield
    _columns._CHOICES.clear()


def test_closing_the_table_closes_chooser_boxes_and_expanders(tmp_path) -> None:
    from ipywidgets.widgets.widget import _instances

    from jupyter_mltrack.widgets._base import close_tree

    sweep = make_sweep(tmp_path)
    before = len(_instances)
    table = RunsTable("demo-sweep", client=sweep.client)
    assert table.rows.expanders  # the page nests runs: the expander column exists
    table.chooser.toggle.value = True
    table.chooser.search.value = "a"
    table.chooser.search.value = ""
    table.toggle_children(sweep.runs["sweep-main"])
    close_tree(table)
    assert len(_instances) == before
