"""Lightning autologging in a script and in a ``%%track`` cell, with real (tiny) trainings.

Each test runs one subprocess (a script or a kernel) so torch and Lightning import once per test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_mltrack.entities import RunStatus
from jupyter_mltrack.tracking.client import TrackingClient

if os.environ.get("CI") == "true":
    import lightning  # noqa: F401  (the dev extra installs it: in CI a missing one is a failure)
else:
    pytest.importorskip("lightning")

# A tiny regression module and data; `Broken` holds a lock, which no pickler can save, so logging
# its model fails inside autologging while its training succeeds.
MODULE = """
import threading
import torch
from torch.utils.data import DataLoader, TensorDataset
import lightning.pytorch as pl


class Reg(pl.LightningModule):
    def __init__(self, lr=0.05, hidden=8):
        super().__init__()
        self.save_hyperparameters()
        layers = [torch.nn.Linear(3, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)]
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self(x), y))

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


class Broken(Reg):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()


torch.manual_seed(0)
X = torch.randn(64, 3)
loader = DataLoader(TensorDataset(X, X.sum(1, keepdim=True)), batch_size=16)


def trainer(epochs=2, **kwargs):
    return pl.Trainer(max_epochs=epochs, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False, **kwargs)
"""

SCRIPT = """
import json, logging
import lightning.pytorch as pl
import jupyter_mltrack as mlt
from jupyter_mltrack import pytorch as mlt_pytorch
from lmod import Reg, Broken, loader, trainer

import pytorch_lightning  # imported too: its Trainer.fit is patched as well
original_fit = pl.Trainer.fit
mlt_pytorch.autolog(log_every_n_step=2, extra_tags={"team": "ml"})
runs = {"both_patched": hasattr(pytorch_lightning.Trainer.fit, "__mltrack_autolog_original__")}
stopper = pl.callbacks.EarlyStopping("val_loss", patience=1)
trainer(callbacks=[stopper]).fit(Reg(), loader, loader)
runs["main"] = mlt.last_active_run().info.run_id
import numpy as np
from jupyter_mltrack import pyfunc
model = pyfunc.load_model(f"runs:/{runs['main']}/model")  # loads and predicts where lmod imports
runs["predicted_shape"] = list(model.predict(np.ones((2, 3), dtype=np.float32)).shape)
runs["signature"] = model.metadata.signature is not None
runs["requirements"] = open(model.model_dir + "/requirements.txt").read().splitlines()

trainer().fit(Broken(), loader, loader)  # its model cannot be pickled: a warning, no failure
runs["broken"] = mlt.last_active_run().info.run_id

class Boom(Reg):
    def training_step(self, batch, batch_idx):
        raise ValueError("boom from training")
try:
    trainer().fit(Boom(), loader)
except ValueError as exc:
    runs["raised"] = str(exc)
runs["failed"] = mlt.last_active_run().info.run_id

mlt_pytorch.autolog(exclusive=True, log_models=False)  # never into a run the user started
with mlt.start_run() as mine:
    trainer(epochs=1).fit(Reg(), loader)
runs["exclusive"] = mine.info.run_id

mlt_pytorch.autolog(disable=True)
runs["restored"] = pl.Trainer.fit is original_fit and not hasattr(
    pytorch_lightning.Trainer.fit, "__mltrack_autolog_original__"
)
trainer(epochs=1).fit(Reg(), loader)
runs["after_disable"] = mlt.last_active_run().info.run_id
print("RESULT" + json.dumps(runs))
"""


def _run_script(tmp_path: Path) -> tuple[dict[str, object], str, TrackingClient]:
    (tmp_path / "lmod.py").write_text(MODULE)
    (tmp_path / "train.py").write_text(SCRIPT)
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    env = {**os.environ, "MLTRACK_TRACKING_URI": uri, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "train.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :]), done.stderr, TrackingClient(uri)


def test_lightning_autolog_in_a_script(tmp_path):
    runs, stderr, client = _run_script(tmp_path)
    assert runs["both_patched"] is True
    main = client.get_run(str(runs["main"]))
    assert main.info.status is RunStatus.FINISHED
    params = main.data.params
    assert params["optimizer_name"] == "Adam"
    assert params["lr"] == "0.05" and params["hidden"] == "8" and params["epochs"] == "2"
    assert {params["monitor"], params["mode"], params["patience"]} == {"val_loss", "min", "1"}
    assert main.data.tags["team"] == "ml" and main.data.tags["Mode"] == "training"
    run_id = main.info.run_id
    history = {
        key: [m.step for m in client.get_metric_history(run_id, key)]
        for key in ("val_loss", "train_loss_epoch", "train_loss_step")
    }
    assert history["val_loss"] == [0, 1] and history["train_loss_epoch"] == [0, 1]
    assert history["train_loss_step"] == [1, 3, 5, 7], "every 2nd of 8 steps (log_every_n_step)"
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"model", "model_summary.txt", "checkpoints"} <= artifacts
    summary = client.download_artifacts(run_id, "model_summary.txt")
    assert "Sequential" in Path(summary).read_text()

    assert runs["predicted_shape"] == [2, 1]
    assert runs["signature"] is True, "signature from the first batch"
    requirements = [str(r).split("==")[0] for r in runs["requirements"]]  # type: ignore[attr-defined]
    assert requirements == ["torch", "cloudpickle", "lightning"]

    broken = client.get_run(str(runs["broken"]))
    assert broken.info.status is RunStatus.FINISHED
    assert "val_loss" in broken.data.metrics
    assert "model" not in {a.path for a in client.list_artifacts(broken.info.run_id)}
    assert "could not log the model" in stderr

    assert runs["raised"] == "boom from training"
    assert client.get_run(str(runs["failed"])).info.status is RunStatus.FAILED
    exclusive = client.get_run(str(runs["exclusive"]))
    assert "optimizer_name" not in exclusive.data.params and not exclusive.data.metrics
    assert runs["restored"] is True
    assert runs["after_disable"] == runs["exclusive"], "no run after disable=True"


@pytest.mark.kernel
def test_lightning_autolog_in_track_cells(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    (tmp_path / "lmod.py").write_text(MODULE)
    fit = "from lmod import Reg, loader, trainer\ntrainer(epochs=1).fit(Reg(), loader, loader)"
    cells = [
        "%load_ext jupyter_mltrack",
        "from jupyter_mltrack import pytorch as mlt_pytorch\n"
        "mlt_pytorch.autolog(log_models=False, checkpoint=False)",
        "%%track --quiet --no-live --name on\n" + fit,
        "%%track --quiet --no-live --no-autolog --name off\n" + fit,
    ]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    saved = dict(os.environ)
    os.environ.update({"MLTRACK_TRACKING_URI": uri, "PYTHONWARNINGS": "ignore"})
    try:
        NotebookClient(
            nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    nbformat.write(nb, tmp_path / "ran.ipynb")
    client = TrackingClient(uri)
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {"on", "off"}, "autolog logs into the cell's run, no run of its own"
    assert runs["on"].data.params.get("optimizer_name") == "Adam"
    assert "val_loss" in runs["on"].data.metrics
    assert "optimizer_name" not in runs["off"].data.params
    assert "val_loss" not in runs["off"].data.metrics
