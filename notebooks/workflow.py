"""A multistep workflow: prepare data -> train candidates in parallel -> evaluate -> keep the best.

Each step is an entry point of this project started with :func:`jupyter_mltrack.projects.run`
and ``synchronous=False``, which returns a :class:`~jupyter_mltrack.projects.SubmittedRun` at
once: the training candidates run at the same time, and each evaluation starts as soon as its
own training finished. One step's artifacts feed the next step's parameters as ``runs:/`` URIs:
the prepared ``data/split.npz`` becomes ``data_uri``, a trained model becomes ``model_uri``.
URIs, unlike local copies, outlive the workflow, so ``mltrack rerun`` can re-run any step later.
If a step fails, the steps still running are cancelled (they end KILLED). Run it with
``python notebooks/workflow.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jupyter_mltrack as mlt
from jupyter_mltrack.entities import Run
from jupyter_mltrack.errors import ProjectExecutionError
from jupyter_mltrack.projects import SubmittedRun, run

PROJECT = Path(__file__).resolve().parent
EXPERIMENT = "example-workflow"
#: What the training candidates differ in; each trains in parallel with the others.
CANDIDATES: tuple[Mapping[str, Any], ...] = ({"max_depth": 2}, {"max_depth": 3})


def main(
    experiment_name: str = EXPERIMENT,
    candidates: Sequence[Mapping[str, Any]] = CANDIDATES,
    **train_params: Any,
) -> dict[str, Any]:
    """Run the steps under one parent run; return the parent, the steps' runs and the best.

    The result maps ``parent``, ``prepare``, ``train`` and ``evaluate`` (the best candidate's
    runs) to runs, and ``candidates`` to ``(train, evaluate)`` run pairs of every candidate.
    """
    mlt.set_experiment(experiment_name)
    started: list[SubmittedRun] = []
    with mlt.start_run(run_name="workflow") as parent:

        def step(entry: str, **params: Any) -> SubmittedRun:
            submitted = run(
                PROJECT,
                entry,
                params,
                experiment_name=experiment_name,
                run_name=entry,
                parent_run_id=parent.info.run_id,
                synchronous=False,
            )
            started.append(submitted)
            return submitted

        try:
            prepared = finished(step("prepare", test_size=0.3))
            data = f"runs:/{prepared.info.run_id}/data/split.npz"
            trainings = [step("main", data_uri=data, **{**train_params, **c}) for c in candidates]
            evaluations = []
            for training in trainings:  # in submission order; the others keep running
                model = f"runs:/{finished(training).info.run_id}/model"
                evaluations.append(step("evaluate", model_uri=model, data_uri=data))
            pairs = [
                (finished(t), finished(e)) for t, e in zip(trainings, evaluations, strict=True)
            ]
        except BaseException:
            for submitted in started:  # a failed step or Ctrl-C: stop what still runs
                submitted.cancel()
            raise
        best_train, best_eval = max(pairs, key=lambda pair: pair[1].data.metrics["accuracy_score"])
        mlt.log_metric("accuracy", best_eval.data.metrics["accuracy_score"])
        mlt.set_tag("best_run", best_train.info.run_id)
    return {
        "parent": mlt.get_run(parent.info.run_id),
        "prepare": prepared,
        "train": best_train,
        "evaluate": best_eval,
        "candidates": pairs,
    }


def finished(submitted: SubmittedRun) -> Run:
    """Wait for a step; return its run, or raise its error if it did not finish."""
    if not submitted.wait():
        raise submitted.error or ProjectExecutionError(
            f"Step run {submitted.run_id} ended {submitted.get_status().value}",
            run_id=submitted.run_id,
        )
    return mlt.get_run(submitted.run_id)


if __name__ == "__main__":
    runs = main()
    for name in ("parent", "prepare", "train", "evaluate"):
        step_run = runs[name]
        print(f"{name:9} {step_run.info.run_id}  {step_run.info.status}")
    print(f"accuracy: {runs['parent'].data.metrics['accuracy']:.4f} (best of {len(CANDIDATES)})")
