"""Reading environment specs from project folders and model directories."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jupyter_mltrack.environments import EnvSpec
from jupyter_mltrack.errors import InvalidParameterError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_python_env_yaml_with_included_requirements(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "# pinned\nsix==1.16.0  # for the test\n\n-r more.txt\n")
    write(tmp_path / "more.txt", "attrs\n")
    write(
        tmp_path / "python_env.yaml",
        "python: 3.11.7\nbuild_dependencies: [pip]\ndependencies: ['-r requirements.txt', toolz]\n",
    )
    spec = EnvSpec.from_project_dir(tmp_path)
    assert spec is not None
    assert spec.python == "3.11.7"
    assert spec.build_dependencies == ["pip"]
    assert spec.dependencies == ["six==1.16.0", "attrs", "toolz"]
    assert spec.source == str(tmp_path / "python_env.yaml")
    assert yaml.safe_load(spec.to_text())["dependencies"] == spec.dependencies


def test_digest_follows_included_files(tmp_path: Path) -> None:
    write(tmp_path / "python_env.yaml", "dependencies: ['-r requirements.txt']\n")
    write(tmp_path / "requirements.txt", "six==1.16.0\n")
    first = EnvSpec.from_project_dir(tmp_path)
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    second = EnvSpec.from_project_dir(tmp_path)
    assert first is not None and second is not None
    assert first.digest() != second.digest()
    assert first.digest() == EnvSpec(dependencies=["six==1.16.0"], source="elsewhere").digest()


def test_requirements_txt_alone_and_nothing(tmp_path: Path) -> None:
    assert EnvSpec.from_project_dir(tmp_path) is None
    write(tmp_path / "requirements.txt", "six\n")
    spec = EnvSpec.from_project_dir(tmp_path)
    assert spec == EnvSpec(dependencies=["six"], source=str(tmp_path / "requirements.txt"))


def test_mlproject_entry_names_the_file(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "ignored\n")
    write(tmp_path / "envs" / "py.yaml", "python: '3.12'\ndependencies: [six]\n")
    spec = EnvSpec.from_project_dir(tmp_path, {"name": "p", "python_env": "envs/py.yaml"})
    assert spec is not None and spec.python == "3.12" and spec.dependencies == ["six"]


def test_conda_env_keeps_python_and_pip_packages(tmp_path: Path) -> None:
    write(
        tmp_path / "conda.yaml",
        "name: x\ndependencies:\n- python=3.11.7\n- pip<=24\n- numpy\n- pip: [six==1.16.0]\n",
    )
    spec = EnvSpec.from_project_dir(tmp_path, {"conda_env": "conda.yaml"})
    assert spec is not None
    assert (spec.python, spec.dependencies) == ("3.11.7", ["six==1.16.0"])
    assert spec.conda_yaml is not None and "numpy" in spec.conda_yaml


@pytest.mark.parametrize(
    ("entry", "files", "match"),
    [
        ({"python_env": "missing.yaml"}, {}, "missing.yaml' does not exist"),
        ({"docker_env": {"image": "x"}}, {}, "Docker is not supported"),
        ({"python_env": "env.yaml"}, {"env.yaml": "- a list\n"}, "must hold a YAML mapping"),
        ({"python_env": "env.yaml"}, {"env.yaml": "dependencies: six\n"}, "must be a list"),
        ({"requirements": "r.txt"}, {"r.txt": "-r r.txt\n"}, "include each other in a loop"),
        ({"requirements": "r.txt"}, {"r.txt": "-r nope.txt\n"}, "Cannot read requirements"),
    ],
)
def test_bad_project_environments(
    tmp_path: Path, entry: dict[str, object], files: dict[str, str], match: str
) -> None:
    for name, text in files.items():
        write(tmp_path / name, text)
    with pytest.raises(InvalidParameterError, match=match):
        EnvSpec.from_project_dir(tmp_path, entry)


def test_model_dir_spec_from_a_saved_model(tmp_path: Path) -> None:
    from jupyter_mltrack import pyfunc

    class Version(pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return model_input

    pyfunc.save_model(tmp_path / "m", python_model=Version(), pip_requirements=["six==1.16.0"])
    spec = EnvSpec.from_model_dir(tmp_path / "m")
    assert spec is not None
    assert spec.dependencies == ["six==1.16.0"]  # python_env.yaml's `-r requirements.txt`, read
    assert spec.python is not None and spec.build_dependencies
    assert EnvSpec.from_model_dir(tmp_path) is None
