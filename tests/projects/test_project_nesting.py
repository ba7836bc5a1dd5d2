"""%%track under MLTRACK_RUN_ID: the environment's run becomes the parent, and stays open."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.client import TrackingClient

pytestmark = pytest.mark.kernel


def execute(tmp_path: Path, env: dict[str, str], *sources: str) -> nbformat.NotebookNode:
    """Execute ``sources`` in a fresh kernel whose environment includes ``env``."""
    nb = new_notebook(cells=[new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


def test_track_cells_nest_under_the_environment_run(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    client = TrackingClient(uri)
    outer = client.create_run("0", run_name="outer")
    outer_id = outer.info.run_id
    env = {"MLTRACK_TRACKING_URI": uri, "MLTRACK_RUN_ID": outer_id, "MLTRACK_ASYNC_LOGGING": "0"}
    nb = execute(
        tmp_path,
        env,
        "%load_ext jupyter_mltrack\nimport jupyter_mltrack as mlt",
        # The first cell to touch tracking is a %%track cell: nothing resumed the run yet.
        "%%track --name first --quiet\nmlt.log_metric('inner', 1)",
        "%%track --name second --quiet\nmlt.log_metric('inner', 2)",
        "mlt.log_metric('outer_metric', 3)\nprint(mlt.active_run().run_id)",
        "%%track --name alone --no-nested --quiet\nmlt.log_metric('alone', 4)",
    )
    assert outer_id in "".join(o.get("text", "") for o in nb.cells[3].outputs)
    runs = {r.info.run_name: r for r in client.search_runs(["0"])}
    assert set(runs) == {"outer", "first", "second", "alone"}
    for name in ("first", "second"):
        assert runs[name].data.tags[t.PARENT_RUN_ID] == outer_id
        assert runs[name].info.status == "FINISHED"
    assert runs["first"].data.metrics == {"inner": 1.0}
    # The environment's run kept its own name and got the metric logged outside %%track.
    assert runs["outer"].data.metrics == {"outer_metric": 3.0}
    # --no-nested: a run of its own, neither a child of nor a resumption of the outer run.
    assert t.PARENT_RUN_ID not in runs["alone"].data.tags
    assert runs["alone"].data.metrics == {"alone": 4.0}


def test_without_the_environment_run_track_cells_are_top_level(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    execute(
        tmp_path,
        {"MLTRACK_TRACKING_URI": uri, "MLTRACK_RUN_ID": ""},
        "%load_ext jupyter_mltrack\nimport jupyter_mltrack as mlt",
        "%%track --name solo --quiet\nmlt.log_metric('m', 1)",
        "assert mlt.active_run() is None",
    )
    (solo,) = TrackingClient(uri).search_runs(["0"])
    assert solo.info.run_name == "solo" and t.PARENT_RUN_ID not in solo.data.tags
