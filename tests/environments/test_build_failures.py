"""Naming the requirement that made pip or uv fail, from their real wording."""

from __future__ import annotations

import pytest

from jupyter_mltrack.environments.failures import failed_requirement, output_tail

PIP_NO_VERSION = """\
Looking in indexes: https://pypi.org/simple
ERROR: Could not find a version that satisfies the requirement six==99.0.0 (from versions: 1.0)
ERROR: No matching distribution found for six==99.0.0
"""
PIP_BUILD = """\
Collecting six==1.16.0
Collecting brokenpkg==0.1
  Downloading brokenpkg-0.1.tar.gz (1 kB)
  error: subprocess-exited-with-error
  \u00d7 Getting requirements to build wheel did not run successfully.
"""
UV_NO_VERSION = """\
error: No solution found when resolving dependencies
  cause: Because there is no version of six==99.0.0 and you require six==99.0.0, we can \
conclude that your requirements are unsatisfiable.
"""
UV_UNKNOWN = """\
  cause: Because nosuchpkg was not found in the package registry and you require nosuchpkg==1.0
"""


@pytest.mark.parametrize(
    ("output", "package", "reason"),
    [
        (PIP_NO_VERSION, "six==99.0.0", "no matching version"),
        (PIP_BUILD, "brokenpkg==0.1", "failed to build"),
        ("ERROR: Invalid requirement: 'six=1.0'\n", "six=1.0", "not a valid requirement"),
        (UV_NO_VERSION, "six==99.0.0", "no matching version"),
        (UV_UNKNOWN, "nosuchpkg", "no such package"),
        ("Because you require a==1 and a==2, we can conclude", "a==1 and a==2", "conflict"),
    ],
)
def test_failed_requirement(output: str, package: str, reason: str) -> None:
    found = failed_requirement(output)
    assert found is not None
    assert found[0] == package
    assert reason in found[1]


def test_unknown_failure_and_tail() -> None:
    assert failed_requirement("Segmentation fault") is None
    text = "Looking in indexes: x\nWARNING: Location 'y' is ignored\n" + "\n".join(
        f"line {i}" for i in range(30)
    )
    tail = output_tail(text, lines=3)
    assert tail == "line 27\nline 28\nline 29"
