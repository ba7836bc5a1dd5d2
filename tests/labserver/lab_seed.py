"""The root folder the handler tests serve: a seeded default store and a tiny project notebook."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_mltrack import TrackingClient
from jupyter_mltrack.entities import Metric, Param, RunStatus, RunTag
from jupyter_mltrack.registry import RegistryClient
from jupyter_mltrack.tracking.heartbeat import KERNEL_ID
from jupyter_mltrack.tracking.tags import SOURCE_NAME, SOURCE_TYPE

KERNEL = "0f6c2f0e-6f1e-4a43-9d55-5b1c1b0c0a11"
CELL_ID = "cell-b"
TRAIN_CELL = "alpha = 0.5  # regularisation\nepochs = 2\nlabel = 'demo'"
TRAIN_BODY = (
    "import time\nimport jupyter_mltrack as mlt\n"
    "for step in range(epochs):\n"
    "    mlt.log_metric('loss', alpha / (step + 1), step=step)\n"
    "    time.sleep(0.5)\n"
)


@dataclass
class Seeded:
    """What the tests look for in the seeded store."""

    root: Path
    outside: Path
    experiment_id: str = ""
    deleted_experiment_id: str = ""
    run_ids: list[str] = field(default_factory=list)
    detail_run: str = ""
    nan_run: str = ""
    kernel_running: str = ""
    kernel_latest: str = ""


def notebook(cells: list[tuple[str, str, list[str]]]) -> dict[str, object]:
    """A v4 notebook of ``(id, source, tags)`` code cells."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": "code", "id": cid, "metadata": {"tags": tags}, "source": src,
             "outputs": [], "execution_count": None}
            for cid, src, tags in cells
        ],
    }  # fmt: skip


def write_folders(root: Path, outside: Path) -> None:
    """The project notebook, a file that is no notebook, and a symlink that leads out."""
    (root / "proj").mkdir(parents=True)
    train = notebook([("cell-a", TRAIN_CELL, ["parameters"]), (CELL_ID, TRAIN_BODY, [])])
    (root / "proj" / "train.ipynb").write_text(json.dumps(train))
    (root / "proj" / "notes.txt").write_text("not a notebook")
    outside.mkdir(parents=True)
    (outside / "evil.ipynb").write_text(json.dumps(train))
    os.symlink(outside, root / "escape")


def _run(
    client: TrackingClient, exp: str, name: str, tags: dict[str, str] | None = None,
    start: int | None = None,
) -> str:  # fmt: skip
    return client.create_run(exp, run_name=name, tags=tags, start_time=start).info.run_id


def seed(root: Path, outside: Path) -> Seeded:
    """Fill ``root/mltrack`` (the server's default store) and the folders."""
    write_folders(root, outside)
    out = Seeded(root=root, outside=outside)
    client = TrackingClient(str(root / "mltrack"))
    out.experiment_id = exp = client.create_experiment("lab-tests", tags={"team": "ml"})
    out.deleted_experiment_id = client.create_experiment("gone")
    client.delete_experiment(out.deleted_experiment_id)
    for i in range(5):
        rid = _run(client, exp, f"sweep-{i}")
        client.log_batch(
            rid,
            metrics=[Metric(key="acc", value=0.5 + i / 10, timestamp=1_700_000_000_000 + i)],
            params=[Param(key="depth", value=str(i))],
            tags=[RunTag(key="team", value="ml")],
        )
        client.set_terminated(rid, RunStatus.FINISHED)
        out.run_ids.append(rid)
    out.nan_run = _run(client, exp, "nan-run")
    client.log_metric(out.nan_run, "acc", math.nan)
    out.detail_run = _detail_run(client, exp, root)
    kernel = {KERNEL_ID: KERNEL}
    out.kernel_running = _run(client, exp, "kernel-old", kernel, start=1_700_000_000_000)
    out.kernel_latest = _run(client, exp, "kernel-new", kernel, start=1_700_000_001_000)
    client.set_terminated(out.kernel_latest, RunStatus.FAILED)
    _registry(root, out.run_ids)
    return out


def _detail_run(client: TrackingClient, exp: str, root: Path) -> str:
    tags = {SOURCE_NAME: str(root / "proj" / "train.ipynb"), SOURCE_TYPE: "NOTEBOOK",
            "mltrack.notebook.cellId": CELL_ID, "mltrack.notebook.executionCount": "3"}  # fmt: skip
    rid = _run(client, exp, "detail", tags=tags)
    client.log_text(rid, TRAIN_BODY, "cell.py")
    client.log_text(rid, TRAIN_CELL, "slice.py")
    client.log_text(rid, "<html><script>alert(1)</script></html>", "report.html")
    client.log_text(rid, "x" * 200_000, "big.txt")
    client.log_dict(rid, {"a": 1}, "plots/config.json")
    points = [
        Metric(key="loss", value=1.0 / (s + 1), timestamp=1_700_000_000_000 + s, step=s)
        for s in range(5000)
    ]
    points.append(Metric(key="loss", value=math.nan, timestamp=1_700_000_100_000, step=5000))
    for start in range(0, len(points), 1000):
        client.log_batch(rid, metrics=points[start : start + 1000])
    client.log_param(rid, "alpha", "0.5")
    return rid


def _registry(root: Path, run_ids: list[str]) -> None:
    """``churn`` is read by the GET tests, ``ranker`` (the same) is changed by the POST tests."""
    registry = RegistryClient(str(root / "mltrack"))
    for name in ("churn", "ranker"):
        registry.create_registered_model(name, tags={"team": "ml"}, description="Churn model")
        for rid in run_ids[:3]:
            registry.create_model_version(name, f"runs:/{rid}/model", rid)
        registry.set_registered_model_alias(name, "champion", 1)
        registry.transition_model_version_stage(name, 1, "Production")
    registry.create_registered_model("o'brien model")
