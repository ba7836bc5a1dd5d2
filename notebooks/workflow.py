"""A multistep workflow: prepare data -> train -> evaluate, as child runs of one parent run.

Each step is an entry point of this project run by :func:`jupyter_mltrack.projects.run`, which
returns the step's run, so one step's artifacts feed the next step's parameters as ``runs:/``
URIs: the prepared ``data/split.npz`` becomes ``data_uri``, the trained model becomes
``model_uri``. URIs, unlike local copies, outlive the workflow, so ``mltrack rerun`` can re-run
any step later. Run it with ``python notebooks/workflow.py``.
"""

from __future__ import annotations

from pathlib import Path

import jupyter_mltrack as mlt
from jupyter_mltrack.entities import Run
from jupyter_mltrack.projects import run

PROJECT = Path(__file__).resolve().parent
EXPERIMENT = "example-workflow"


def main(experiment_name: str = EXPERIMENT, **train_params: object) -> dict[str, Run]:
    """Run the three steps under one parent run; return the parent and each step's run."""
    mlt.set_experiment(experiment_name)
    with mlt.start_run(run_name="workflow") as parent:

        def step(entry: str, **params: object) -> Run:
            return run(
                PROJECT,
                entry,
                params,
                experiment_name=experiment_name,
                run_name=entry,
                parent_run_id=parent.info.run_id,
            )

        prepared = step("prepare", test_size=0.3)
        data = f"runs:/{prepared.info.run_id}/data/split.npz"
        trained = step("main", data_uri=data, **train_params)
        evaluated = step("evaluate", model_uri=f"runs:/{trained.info.run_id}/model", data_uri=data)
        mlt.log_metric("accuracy", evaluated.data.metrics["accuracy_score"])
    return {
        "parent": mlt.get_run(parent.info.run_id),
        "prepare": prepared,
        "train": trained,
        "evaluate": evaluated,
    }


if __name__ == "__main__":
    runs = main()
    for name, step_run in runs.items():
        print(f"{name:9} {step_run.info.run_id}  {step_run.info.status}")
    print(f"accuracy: {runs['parent'].data.metrics['accuracy']:.4f}")
