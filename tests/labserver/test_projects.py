"""notebooks/parameters and projects/run: confinement to the root folder, then a real run."""

from __future__ import annotations

import time

import httpx
import pytest
from lab_seed import Seeded


def test_notebook_parameters_from_the_parameters_cell(api: httpx.Client) -> None:
    body = api.get("notebooks/parameters", params={"path": "proj/train.ipynb"}).json()
    assert body == {
        "parameters": {
            "alpha": {"default": 0.5, "type": "float", "description": "regularisation"},
            "epochs": {"default": 2, "type": "int", "description": None},
            "label": {"default": "demo", "type": "string", "description": None},
        }
    }


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("../outside/evil.ipynb", 400, "outside the server's root folder"),
        ("proj/../../outside/evil.ipynb", 400, "outside the server's root folder"),
        ("escape/evil.ipynb", 400, "outside the server's root folder"),
        ("/etc/passwd", 400, "absolute"),
        ("proj/notes.txt", 400, "not a notebook"),
        ("proj/missing.ipynb", 404, "No notebook"),
        ("", 400, "relative to the server's root folder"),
    ],
)
def test_paths_are_confined_to_the_root_folder(
    api: httpx.Client, seeded: Seeded, path: str, status: int, says: str
) -> None:
    if path == "/etc/passwd":
        path = str(seeded.root / "proj" / "train.ipynb")  # absolute, even inside the root
    started = api.post("projects/run", json={"path": path})
    assert started.status_code == status and says in started.json()["message"]
    asked = api.get("notebooks/parameters", params={"path": path})
    assert asked.status_code == status and says in asked.json()["message"]


@pytest.mark.parametrize(
    "body",
    [{"path": "proj/train.ipynb", "parameters": {"nope": 1}},
     {"path": "proj/train.ipynb", "parameters": {"epochs": "many"}},
     {"path": "proj/train.ipynb", "parameters": [1]},
     {"path": "proj/train.ipynb", "experiment": 3},
     {"path": 7}],
)  # fmt: skip
def test_bad_project_input_is_400_and_creates_no_run(
    api: httpx.Client, body: dict[str, object]
) -> None:
    before = api.get("runs", params={"page_size": "1"}).json()["total"]
    response = api.post("projects/run", json=body)
    assert response.status_code == 400 and response.json()["message"]
    assert api.get("runs", params={"page_size": "1"}).json()["total"] == before


@pytest.mark.kernel
def test_project_run_goes_running_then_finished(api: httpx.Client) -> None:
    body = {"path": "proj/train.ipynb", "parameters": {"alpha": 0.8, "epochs": 3},
            "experiment": "lab-projects"}  # fmt: skip
    started = api.post("projects/run", json=body)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    assert started.json()["status"] == "RUNNING"
    seen = api.get(f"runs/{run_id}").json()  # the id is real at once
    assert seen["status"] == "RUNNING" and seen["params"]["alpha"] == "0.8"
    listed = api.get("runs", params={"filter": f"attributes.run_id = '{run_id}'"}).json()
    assert listed["total"] == 1
    deadline = time.monotonic() + 120
    while seen["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = api.get(f"runs/{run_id}").json()
    assert seen["status"] == "FINISHED", seen["tags"]
    assert seen["metrics"]["loss"] == pytest.approx(0.8 / 3)
    # The kernel ends the run at its exit, while the runner still stores the executed notebook.
    while "notebook.ipynb" not in {f["path"] for f in seen["artifacts"]}:
        assert time.monotonic() < deadline, seen["artifacts"]
        time.sleep(0.5)
        seen = api.get(f"runs/{run_id}").json()
    assert seen["source"]["notebook_path"] == "proj/train.ipynb"
