"""Every command is documented; the entry points run; ``--help`` imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from jupyter_mltrack import __version__
from jupyter_mltrack.cli.main import main


def walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


ALL_COMMANDS = sorted(walk(main), key=lambda item: item[0])


def test_the_command_list() -> None:
    assert [" ".join(path) for path, _ in ALL_COMMANDS] == [
        "dashboard",
        "experiments",
        "experiments create",
        "experiments delete",
        "experiments list",
        "experiments rename",
        "experiments restore",
        "gc",
        "models",
        "models alias",
        "models describe",
        "models history",
        "models list",
        "models predict",
        "models promote",
        "models register",
        "models serve",
        "models versions",
        "projects",
        "projects describe",
        "report",
        "rerun",
        "run",
        "runs",
        "runs delete",
        "runs describe",
        "runs list",
        "runs restore",
        "server",
        "server tokens",
        "server tokens create",
        "server tokens list",
        "server tokens revoke",
        "server users",
        "server users create",
        "server users delete",
        "server users list",
        "server users passwd",
        "server users role",
        "sweep",
        "sync",
    ]


@pytest.mark.parametrize(
    ("path", "command"), ALL_COMMANDS, ids=[" ".join(p) for p, _ in ALL_COMMANDS]
)
def test_every_command_is_documented_and_has_help(
    path: tuple[str, ...], command: click.Command
) -> None:
    assert command.help and command.help.strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert f" {' '.join(path)} [OPTIONS]" in result.stdout.splitlines()[0]


def test_version_option() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.stdout == f"mltrack {__version__}\n"


def test_unknown_command_is_a_usage_error() -> None:
    assert CliRunner().invoke(main, ["frobnicate"]).exit_code == 2


def test_installed_entry_point_runs() -> None:
    script = Path(sys.executable).parent / "mltrack"
    if not script.exists():
        pytest.skip("the mltrack console script is not installed in this environment")
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout == f"mltrack {__version__}\n"


@pytest.mark.parametrize("module", ["jupyter_mltrack", "jupyter_mltrack.cli.main"])
def test_python_dash_m_runs(module: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("Usage: mltrack ")
    assert out.stderr == ""


def test_help_imports_no_store_or_dataframe_library() -> None:
    code = (
        "import sys; from jupyter_mltrack.cli.main import main\n"
        "try: main(['runs', 'list', '--help'])\n"
        "except SystemExit: pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'pandas', 'fsspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
