"""The seeded store of the widget tests: a few experiments, runs, histories and cell sources.

A plain module (not conftest) so test files import it by a name no other folder shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Metric, Param
from jupyter_mltrack.notebook.cell_run import CELL_ID, EXECUTION_COUNT, NON_LINEAR
from jupyter_mltrack.tracking.tags import PARENT_RUN_ID

T0 = 1_700_000_000_000

CELL_1 = """\
model = RandomForestClassifier(n_estimators=100)
model.fit(X_train, y_train)
acc = model.score(X_test, y_test)
"""
CELL_2 = CELL_1.replace("n_estimators=100", "n_estimators=300")
SLICE = """\
# In[1]
import pandas as pd
# In[2]
X_train, X_test, y_train, y_test = split(pd.read_csv("data.csv"))
"""


@dataclass
class Seeded:
    """What the fixture created: the store URI, a client, experiment and run ids by name."""

    uri: str
    client: TrackingClient
    experiments: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    clock: int = T0

    def run(
        self,
        experiment: str,
        name: str,
        *,
        params: dict[str, object] | None = None,
        metrics: dict[str, list[float]] | None = None,
        tags: dict[str, str] | None = None,
        status: str = "FINISHED",
    ) -> str:
        """Create a run with params, metric histories (one point per step) and tags."""
        self.clock += 1000
        run = self.client.create_run(
            self.experiments[experiment], run_name=name, start_time=self.clock, tags=tags
        )
        run_id = run.info.run_id
        points = [
            Metric(key=key, value=value, timestamp=self.clock + 10 * step, step=step)
            for key, values in (metrics or {}).items()
            for step, value in enumerate(values)
        ]
        self.client.log_batch(
            run_id,
            metrics=points,
            params=[Param(key=k, value=str(v)) for k, v in (params or {}).items()],
        )
        if status != "RUNNING":
            self.client.set_terminated(run_id, status, end_time=self.clock + 500)
        self.runs[name] = run_id
        return run_id


def _curve(start: float, end: float, n: int = 10) -> list[float]:
    return [start + (end - start) * i / (n - 1) for i in range(n)]


def seed(uri: str) -> Seeded:
    """Fill the store at ``uri`` as the module docstring describes."""
    client = TrackingClient(uri)
    s = Seeded(uri=uri, client=client)
    for name in ("churn", "vision", "empty"):
        s.experiments[name] = client.create_experiment(name)
    team = {"team": "a"}
    s.run("churn", "rf-1", params={"model": "rf", "n_estimators": 100, "max_depth": 5},
          metrics={"acc": _curve(0.5, 0.80), "loss": _curve(1.0, 0.40)}, tags=team)  # fmt: skip
    s.run("churn", "rf-2", params={"model": "rf", "n_estimators": 200, "max_depth": 5},
          metrics={"acc": _curve(0.5, 0.85), "loss": _curve(1.0, 0.35)}, tags=team)  # fmt: skip
    s.run("churn", "gbm-1", params={"model": "gbm", "lr": 0.1}, tags={"team": "b"},
          metrics={"acc": _curve(0.4, 0.90), "loss": _curve(1.2, 0.30)})  # fmt: skip
    s.run("churn", "failed-1", params={"model": "svm"}, status="FAILED")
    s.run("churn", "live-1", params={"model": "rf"}, metrics={"loss": _curve(1.0, 0.8, 5)},
          status="RUNNING")  # fmt: skip
    parent = s.run("churn", "sweep", params={"grid": "depth"})
    for depth, acc in (("a", 0.7), ("b", 0.75)):
        s.run("churn", f"sweep-{depth}", params={"max_depth": depth},
              metrics={"acc": [acc]}, tags={PARENT_RUN_ID: parent})  # fmt: skip
    for name, cell in (("cell-1", CELL_1), ("cell-2", CELL_2)):
        tags = {CELL_ID: f"id-{name}", EXECUTION_COUNT: "3", NON_LINEAR: "false"}
        first = name == "cell-1"
        run_id = s.run("churn", name, params={"n_estimators": 100 if first else 300},
                       metrics={"acc": [0.81 if first else 0.83]}, tags=tags)  # fmt: skip
        client.log_text(run_id, cell, "cell.py")
        client.log_text(run_id, SLICE, "slice.py")
    s.run("vision", "cnn-1", params={"arch": "resnet"}, metrics={"top1": _curve(0.1, 0.7)})
    s.run("vision", "cnn-2", params={"arch": "vit"}, metrics={"top1": _curve(0.1, 0.75)})
    client.set_tag(s.runs["cnn-1"], "note", "baseline")
    return s
