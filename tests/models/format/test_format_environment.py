"""Environment files: pinned versions from importlib.metadata in MLflow's file formats."""

from __future__ import annotations

import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.models.environment import infer_pip_requirements, write_environment_files

PYTHON = ".".join(map(str, sys.version_info[:3]))
SKLEARN = f"scikit-learn=={metadata.version('scikit-learn')}"


def test_pins_installed_versions_by_distribution_or_import_name() -> None:
    assert infer_pip_requirements(["scikit-learn", "numpy"]) == [
        SKLEARN,
        f"numpy=={metadata.version('numpy')}",
    ]
    assert infer_pip_requirements(["sklearn"]) == [SKLEARN]


def test_missing_packages_are_left_out() -> None:
    assert infer_pip_requirements(["surely-not-installed-pkg-xyz", "numpy"]) == [
        f"numpy=={metadata.version('numpy')}"
    ]


def test_inference_is_fast() -> None:
    start = time.perf_counter()
    infer_pip_requirements(["scikit-learn", "cloudpickle", "numpy", "pandas", "scipy"])
    assert time.perf_counter() - start < 0.5


def test_writes_the_three_files_in_mlflow_layout(tmp_path: Path) -> None:
    requirements = write_environment_files(tmp_path, default_packages=["scikit-learn"])
    assert requirements == [SKLEARN]
    assert (tmp_path / "requirements.txt").read_text() == SKLEARN
    python_env = (tmp_path / "python_env.yaml").read_text()
    assert python_env.startswith(f"python: {PYTHON}\nbuild_dependencies:\n")
    assert python_env.endswith("dependencies:\n- -r requirements.txt\n")
    assert [d.split("==")[0] for d in yaml.safe_load(python_env)["build_dependencies"]] == [
        "pip",
        "setuptools",
        "wheel",
    ]
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["name"] == "mlflow-env" and conda["channels"] == ["conda-forge"]
    assert conda["dependencies"][0] == f"python={PYTHON}"
    assert conda["dependencies"][1].startswith("pip")
    assert conda["dependencies"][2] == {"pip": [SKLEARN]}


def test_extra_requirements_are_added_and_override_pins(tmp_path: Path) -> None:
    requirements = write_environment_files(
        tmp_path,
        default_packages=["scikit-learn", "numpy"],
        extra_pip_requirements=["scikit-learn>=1.0", "requests"],
    )
    assert requirements == [f"numpy=={metadata.version('numpy')}", "scikit-learn>=1.0", "requests"]


def test_explicit_requirements_replace_inference(tmp_path: Path) -> None:
    req_file = tmp_path / "reqs.txt"
    req_file.write_text("# pinned by hand\npandas\n\nnumpy<3\n")
    assert write_environment_files(tmp_path / "m", pip_requirements=str(req_file)) == [
        "pandas",
        "numpy<3",
    ]
    assert write_environment_files(tmp_path / "n", pip_requirements=["a", "b"]) == ["a", "b"]


def test_both_requirement_options_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="not both"):
        write_environment_files(tmp_path, pip_requirements=["a"], extra_pip_requirements=["b"])


def test_missing_requirements_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="does not exist"):
        write_environment_files(tmp_path, pip_requirements=str(tmp_path / "nope.txt"))
