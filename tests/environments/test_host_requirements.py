"""What a built environment gets besides the spec: our package (linked) and our core needs."""

from __future__ import annotations

from jupyter_mltrack.environments import EnvSpec
from jupyter_mltrack.environments.host import merged_requirements


def names(lines: list[str]) -> list[str]:
    return [line.split("=")[0].split(">")[0].split("[")[0].lower() for line in lines]


def test_spec_pins_win_and_our_package_is_not_installed_from_an_index() -> None:
    spec = EnvSpec(dependencies=["jupyter_mltrack==0.1.0", "Pandas==2.2.3", "six==1.16.0"])
    merged = merged_requirements(spec, ["uvicorn"])
    assert merged[:2] == ["Pandas==2.2.3", "six==1.16.0"]  # the spec first, in its order
    assert "jupyter_mltrack" not in names(merged) and "jupyter-mltrack" not in names(merged)
    assert names(merged).count("pandas") == 1  # ours ("pandas>=2.1") gave way to the pin
    assert {"sqlalchemy", "numpy", "click"} <= set(names(merged))  # our core dependencies
    assert "uvicorn>=0.30" in merged  # asked-for packages get our declared bounds


def test_no_spec_gets_only_our_needs() -> None:
    merged = merged_requirements(None, [])
    assert "pandas" in names(merged) and "six" not in names(merged)
    assert merged == merged_requirements(EnvSpec(), [])
