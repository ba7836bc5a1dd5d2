"""Write the example project's notebooks (``python notebooks/build_notebooks.py``).

The notebooks are generated so their JSON stays small, outputs-free and reviewable here.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

#: Defined in the notebooks that read the prepared split: a runs:/ URI is downloaded once.
LOCAL_COPY = (
    "def local_copy(uri):\n"
    '    """A local file for a runs:/<run id>/<path> artifact URI (or a plain path)."""\n'
    "    if not uri.startswith('runs:/'):\n"
    "        return uri\n"
    "    run_id, _, path = uri[len('runs:/'):].partition('/')\n"
    "    return mlt.TrackingClient().download_artifacts(run_id, path)"
)

PREPARE = [
    new_markdown_cell(
        "# Prepare\nSplit scikit-learn's breast-cancer data; log it as `data/split.npz`."
    ),
    new_code_cell("test_size = 0.3\nseed = 0", metadata={"tags": ["parameters"]}),
    new_code_cell(
        "import tempfile\nfrom pathlib import Path\n\nimport numpy as np\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "import jupyter_mltrack as mlt"
    ),
    new_code_cell(
        "x, y = load_breast_cancer(return_X_y=True)\n"
        "x_train, x_test, y_train, y_test = train_test_split(\n"
        "    x, y, test_size=test_size, random_state=seed, stratify=y\n)\n"
        "with tempfile.TemporaryDirectory() as tmp:\n"
        "    path = Path(tmp) / 'split.npz'\n"
        "    np.savez(path, x_train=x_train, x_test=x_test, y_train=y_train, y_test=y_test)\n"
        "    mlt.log_artifact(path, 'data')\n"
        "mlt.log_metrics({'n_train': len(y_train), 'n_test': len(y_test)})"
    ),
]

TRAIN = [
    new_markdown_cell(
        "# Train\nA gradient-boosted classifier on scikit-learn's breast-cancer data. The fit is a "
        "`%%track` cell (a child run with the test log-loss per boosting iteration); the final "
        "scores, the model and its evaluation go to the notebook's own run."
    ),
    new_code_cell(
        "n_estimators = 40\nmax_depth = 2\nlearning_rate = 0.1\nseed = 0\n"
        "data_uri = ''  # runs:/<prepare run>/data/split.npz or a local .npz; empty: split here",
        metadata={"tags": ["parameters"]},
    ),
    new_code_cell(
        "%load_ext jupyter_mltrack\n"
        "import numpy as np\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.metrics import accuracy_score, roc_auc_score\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "import jupyter_mltrack as mlt\n"
        "import jupyter_mltrack.sklearn as mlt_sklearn\n\n"
        "model = None  # fitted by the %%track cell below\n\n\n" + LOCAL_COPY
    ),
    new_code_cell(
        "if data_uri:\n"
        "    split = np.load(local_copy(data_uri))\n"
        "    x_train, x_test = split['x_train'], split['x_test']\n"
        "    y_train, y_test = split['y_train'], split['y_test']\n"
        "else:\n"
        "    x, y = load_breast_cancer(return_X_y=True)\n"
        "    x_train, x_test, y_train, y_test = train_test_split(\n"
        "        x, y, test_size=0.3, random_state=seed, stratify=y\n"
        "    )"
    ),
    new_code_cell(
        "%%track --name fit --quiet\n"
        "from sklearn.ensemble import GradientBoostingClassifier\n"
        "from sklearn.metrics import log_loss\n\n"
        "model = GradientBoostingClassifier(\n"
        "    n_estimators=n_estimators, max_depth=max_depth, learning_rate=learning_rate,\n"
        "    random_state=seed,\n"
        ").fit(x_train, y_train)\n"
        "# One point per boosting iteration: the training loss and the held-out log-loss.\n"
        "for step, proba in enumerate(model.staged_predict_proba(x_test)):\n"
        "    mlt.log_metric('train_loss', model.train_score_[step], step=step)\n"
        "    mlt.log_metric('test_log_loss', log_loss(y_test, proba), step=step)"
    ),
    new_code_cell(
        "proba = model.predict_proba(x_test)[:, 1]\n"
        "mlt.log_metrics({\n"
        "    'accuracy': accuracy_score(y_test, model.predict(x_test)),\n"
        "    'roc_auc': roc_auc_score(y_test, proba),\n"
        "})\n"
        "info = mlt_sklearn.log_model(model, 'model', input_example=x_test[:3])\n"
        "result = mlt.evaluate(model, x_test, y_test, dataset_name='test')\n"
        "info.model_uri, round(result.metrics['accuracy_score'], 4)"
    ),
]

EVALUATE = [
    new_markdown_cell("# Evaluate\nScore a logged model (`model_uri`) on the test split."),
    new_code_cell(
        "model_uri = ''\ndata_uri = ''  # runs:/<prepare run>/data/split.npz; empty: split here\n"
        "seed = 0",
        metadata={"tags": ["parameters"]},
    ),
    new_code_cell(
        "import numpy as np\n"
        "from sklearn.datasets import load_breast_cancer\n"
        "from sklearn.model_selection import train_test_split\n\n"
        "import jupyter_mltrack as mlt\n\n"
        "assert model_uri, 'pass -P model_uri=runs:/<run id>/model'\n\n\n" + LOCAL_COPY
    ),
    new_code_cell(
        "if data_uri:\n"
        "    split = np.load(local_copy(data_uri))\n"
        "    x_test, y_test = split['x_test'], split['y_test']\n"
        "else:\n"
        "    x, y = load_breast_cancer(return_X_y=True)\n"
        "    _, x_test, _, y_test = train_test_split(\n"
        "        x, y, test_size=0.3, random_state=seed, stratify=y\n"
        "    )\n"
        "result = mlt.evaluate(model_uri, x_test, y_test, dataset_name='holdout')\n"
        "mlt.set_tag('evaluated_model', model_uri)\n"
        "result.metrics"
    ),
]


def write(name: str, cells: list[nbformat.NotebookNode]) -> None:
    """Write one notebook next to this script."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(nb.cells):  # stable ids keep regenerated files diff-free
        cell["id"] = f"{name}-{index}"
    nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("prepare", PREPARE)
    write("train", TRAIN)
    write("evaluate", EVALUATE)
