"""What mybinder.org does with ``binder/``, emulated without Docker, then the quickstart in it.

repo2docker copies the repository, ``pip install -r binder/requirements.txt`` from its root,
then runs ``binder/postBuild`` there (see ``test_binder_files.py`` for the Dockerfile it
renders). Here: a copy of the files a clone would have (git's view of the working tree, so no
prebuilt extension, no ``node_modules``, no store), a fresh virtualenv, the same two steps, and
``01-quickstart.ipynb`` executed by that virtualenv's kernel. Unlike repo2docker, pip and yarn
keep their caches (time), and the base image's conda packages are not preinstalled.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.kernel, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = Path("notebooks/tutorials/01-quickstart.ipynb")


@dataclass(frozen=True)
class BinderBuild:
    """The emulated image: the repository copy, its virtualenv, and the build's output."""

    repo: Path
    venv: Path
    env: dict[str, str]
    post_build: list[str]  # stdout of each postBuild run

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run a command in the copy with the image's environment; fail with its output."""
        done = subprocess.run(
            args, cwd=self.repo, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, (
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-5000:]}"
        )
        return done


def _copy_checkout(dest: Path) -> None:
    """Copy the files a fresh clone would have: tracked and not-ignored files of the tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not in a clone
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _image_env(repo: Path, env_dir: Path, home: Path) -> dict[str, str]:
    """The environment of repo2docker's build steps: the venv first on PATH, REPO_DIR set."""
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLTRACK_", "JUPYTER", "PYTHON", "VIRTUAL_ENV", "CONDA"))
    }
    return {
        **keep,
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(env_dir),
        "REPO_DIR": str(repo),
        # A throwaway HOME keeps postBuild's cleanup and Jupyter's user folders (kernels) in tmp;
        # the pip and yarn caches stay the real ones so a run takes minutes, not tens of them.
        "HOME": str(home),
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(home_cache / "pip"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "YARN_GLOBAL_FOLDER": os.environ.get("YARN_GLOBAL_FOLDER")
        or str(Path.home() / ".yarn" / "berry"),
    }


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> BinderBuild:
    """Build the emulated Binder image once for the module."""
    root = tmp_path_factory.mktemp("binder")
    repo, env_dir, home = root / "repo", root / "venv", root / "home"
    home.mkdir()
    _copy_checkout(repo)
    venv.EnvBuilder(with_pip=True).create(env_dir)
    build = BinderBuild(repo, env_dir, _image_env(repo, env_dir, home), [])
    python = str(env_dir / "bin" / "python")
    # --no-compile: byte-compiling ~150 packages is CPU time that changes nothing tested here.
    install = ("pip", "install", "-q", "--no-compile", "-r", "binder/requirements.txt")
    build.run(python, "-m", *install, timeout=900)
    for _ in range(2):  # the second run shows postBuild is safe to repeat
        build.post_build.append(build.run("bash", "binder/postBuild").stdout)
    return build


def test_requirements_install_a_consistent_environment(binder: BinderBuild) -> None:
    """The pinned set has no conflicts, and the package came with its built Lab extension."""
    checked = binder.run(str(binder.venv / "bin" / "python"), "-m", "pip", "check")
    assert "No broken requirements" in checked.stdout
    shipped = binder.venv / "share" / "jupyter" / "labextensions" / "jupyter-mltrack"
    assert (shipped / "package.json").is_file(), f"no prebuilt extension in {shipped}"
    assert list((shipped / "static").glob("remoteEntry.*.js")), "the extension has no bundle"


def test_post_build_seeds_the_demo_store_once(binder: BinderBuild) -> None:
    """postBuild seeds ./mltrack with three runs and a champion model; a rerun keeps it."""
    first, second = binder.post_build
    assert "seeded sqlite:///" in first and "binder-demo-classifier@champion" in first
    assert "already seeded" in second
    check = (
        "import sys, jupyter_mltrack as mlt\n"
        "mlt.set_tracking_uri(sys.argv[1])\n"
        "runs = mlt.search_runs(experiment_names=['binder-demo'])\n"
        "mv = mlt.RegistryClient().get_model_version_by_alias('binder-demo-classifier', "
        "'champion')\n"
        "print(len(runs), sorted(set(runs['status'])), mv.version)\n"
    )
    store = binder.repo / "mltrack"
    done = binder.run(str(binder.venv / "bin" / "python"), "-c", check, str(store))
    assert done.stdout.split() == ["3", "['FINISHED']", "1"]


def test_post_build_drops_the_node_build_tree_in_the_image(binder: BinderBuild) -> None:
    """Inside a repo2docker build (REPO_DIR = cwd) the ~0.5 GB node_modules does not stay."""
    assert (binder.repo / "labextension" / "package.json").is_file()
    assert not (binder.repo / "labextension" / "node_modules").exists()


def test_quickstart_runs_in_the_binder_environment(binder: BinderBuild) -> None:
    """01-quickstart.ipynb executes top to bottom with the virtualenv's own kernel."""
    specs = json.loads(binder.run("jupyter", "kernelspec", "list", "--json").stdout)
    assert Path(specs["kernelspecs"]["python3"]["resource_dir"]).is_relative_to(binder.venv)
    out = binder.repo.parent / "executed"
    binder.run(
        *("jupyter", "nbconvert", "--to", "notebook", "--execute", "--output-dir", str(out)),
        "--ExecutePreprocessor.timeout=300",
        str(QUICKSTART),
    )
    cells = json.loads((out / QUICKSTART.name).read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "a cell did not run"
    for cell in code:
        errors = [o["ename"] for o in cell["outputs"] if o["output_type"] == "error"]
        expected = ["ZeroDivisionError"] if "raises-exception" in _tags(cell) else []
        assert errors == expected, "".join(cell["source"])
    first_output = "".join(_text(o.get("text", "")) for o in code[0]["outputs"])
    # The tutorial's store is its own, next to the notebook, not the seeded demo store.
    assert str(binder.repo / QUICKSTART.parent / "mltrack") in first_output


def _text(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)  # nbformat allows both


def _tags(cell: dict[str, object]) -> list[str]:
    metadata = cell.get("metadata")
    tags = metadata.get("tags", []) if isinstance(metadata, dict) else []
    return list(tags)
