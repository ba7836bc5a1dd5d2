"""Building, caching and reusing real environments (virtualenv and uv), and their failures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jupyter_mltrack
from jupyter_mltrack.environments import EnvSpec, resolve_environment
from jupyter_mltrack.environments.cache import MARKER_FILE
from jupyter_mltrack.errors import EnvironmentBuildError, InvalidParameterError

SIX = EnvSpec(dependencies=["six==1.16.0"], source="test")


def run_in(env_python: str, code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [env_python, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_local_is_the_running_interpreter() -> None:
    env = resolve_environment(SIX, "local")
    assert env.python == sys.executable
    assert env.env == {} and env.path is None
    tags = env.describe()
    assert tags["mltrack.env.manager"] == "local"
    assert tags["mltrack.env.hash"] == env.spec_hash != ""
    assert "six==1.16.0" in tags["mltrack.env.spec"]
    assert env.ensure_kernel() == "python3"


def test_unknown_manager() -> None:
    with pytest.raises(InvalidParameterError, match="use one of: local, virtualenv, uv, conda"):
        resolve_environment(SIX, "pipenv")


@pytest.mark.skipif(shutil.which("conda") is not None, reason="conda is installed here")
def test_conda_without_conda_says_so(shared_env_root: Path) -> None:
    before = set(shared_env_root.iterdir())
    with pytest.raises(EnvironmentBuildError, match="no `conda` is on PATH") as caught:
        resolve_environment(SIX, "conda")
    assert caught.value.manager == "conda"
    assert set(shared_env_root.iterdir()) == before  # nothing was started


@pytest.mark.slow
@pytest.mark.parametrize("manager", ["virtualenv", "uv"])
def test_build_once_then_reuse(manager: str, shared_env_root: Path) -> None:
    env = resolve_environment(SIX, manager)
    assert env.path is not None and Path(env.path).parent == shared_env_root
    code = "import six, jupyter_mltrack, sys; print(six.__version__, sys.prefix)"
    assert run_in(env.python, code, env.environ()) == f"1.16.0 {env.path}"
    marker = Path(env.path) / MARKER_FILE
    built = marker.stat().st_mtime_ns
    again = resolve_environment(EnvSpec(dependencies=["six==1.16.0"], source="elsewhere"), manager)
    assert (again.path, again.spec_hash) == (env.path, env.spec_hash)
    assert marker.stat().st_mtime_ns == built  # reused, not rebuilt
    assert env.describe()["mltrack.env.hash"] == env.spec_hash
    assert json.loads(marker.read_text())["manager"] == manager


@pytest.mark.slow
def test_reuse_relinks_a_package_link_left_dangling(tmp_path: Path) -> None:
    # The environment was built by an installation that is gone (a deleted source checkout):
    # its jupyter_mltrack link points nowhere. Reusing it must repair the link, not fail.
    env = resolve_environment(SIX, "uv")
    assert env.path is not None
    (link,) = Path(env.path).glob("lib/python*/site-packages/jupyter_mltrack")
    link.unlink()
    link.symlink_to(tmp_path / "deleted-checkout" / "jupyter_mltrack", target_is_directory=True)
    assert not link.exists()  # dangling
    again = resolve_environment(SIX, "uv")
    assert again.path == env.path
    assert link.resolve() == Path(jupyter_mltrack.__file__).resolve().parent
    code = "import jupyter_mltrack; print(jupyter_mltrack.__file__)"
    assert run_in(again.python, code, again.environ()) == str(link / "__init__.py")
    assert not list(link.parent.glob(".jupyter_mltrack.*"))  # no staged link left behind


@pytest.mark.slow
def test_managers_and_specs_get_their_own_environments() -> None:
    uv = resolve_environment(SIX, "uv")
    other = resolve_environment(EnvSpec(dependencies=["six==1.15.0"]), "uv")
    pip = resolve_environment(SIX, "virtualenv")
    assert len({uv.spec_hash, other.spec_hash, pip.spec_hash}) == 3
    assert run_in(other.python, "import six; print(six.__version__)", other.environ()) == "1.15.0"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("manager", "package"),
    [("virtualenv", "six==99.0.0"), ("uv", "six==99.0.0"), ("uv", "no-such-pkg-mltrack")],
)
def test_failed_build_names_the_package_and_leaves_nothing(
    manager: str, package: str, shared_env_root: Path
) -> None:
    spec = EnvSpec(dependencies=["toolz", package])
    with pytest.raises(EnvironmentBuildError) as caught:
        resolve_environment(spec, manager)
    assert caught.value.package is not None and caught.value.package.startswith(
        package.split("==")[0]
    )
    assert package.split("==")[0] in caught.value.message
    leftovers = [p for p in shared_env_root.iterdir() if p.is_dir()]
    assert all((p / MARKER_FILE).exists() for p in leftovers)  # no half-built environment


@pytest.mark.slow
def test_missing_python_version_is_one_clear_error() -> None:
    with pytest.raises(EnvironmentBuildError, match=r"Python 3\.99 \(asked for by x\.yaml\)"):
        resolve_environment(EnvSpec(python="3.99", source="x.yaml"), "virtualenv")


CONCURRENT = """\
import json, os, sys
from pathlib import Path
from jupyter_mltrack.environments import EnvSpec, resolve_environment
env = resolve_environment(EnvSpec(dependencies=["six==1.14.0"]), "uv", env_root=sys.argv[1])
record = json.loads((Path(env.path) / ".mltrack-env.json").read_text())
print(json.dumps({"path": env.path, "built_by": record["built_by"], "me": os.getpid()}))
"""


@pytest.mark.slow
def test_two_processes_build_the_same_environment_once(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [json.loads(proc.communicate(timeout=600)[0]) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert results[0]["path"] == results[1]["path"]
    assert results[0]["built_by"] == results[1]["built_by"]  # one built, the other waited
    assert results[0]["built_by"] in {r["me"] for r in results}
