"""%%track argument parsing, in-process."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from jupyter_mltrack.notebook.magics import TrackOptions, parse_track_args


def test_defaults() -> None:
    assert parse_track_args("") == TrackOptions()


def test_all_options() -> None:
    options = parse_track_args(
        "--experiment 'my exp' --name r1 --param a=1 --param b=x=y --tag t=v --no-nested "
        "--no-autolog --no-params --no-live --save-notebook --quiet"
    )
    assert options == TrackOptions(
        experiment="my exp",
        name="r1",
        params={"a": "1", "b": "x=y"},
        tags={"t": "v"},
        nested=False,
        autolog=False,
        capture_params=False,
        live=False,
        save_notebook=True,
        quiet=True,
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--param novalue", "expected key=value"),
        ("--tag =v", "expected key=value"),
        ("--nested --no-nested", "not allowed with argument"),
        ("--name", "expected one argument"),
        ("--name 'unclosed", "No closing quotation"),
        ("positional", "unrecognized arguments"),
    ],
)
def test_bad_arguments_raise_one_line_usage_error(line: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        parse_track_args(line)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("%%track: ")


def test_session_config_gives_defaults_and_flags_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jupyter_mltrack.notebook import config

    monkeypatch.setattr(config, "CONFIG", config.NotebookConfig(quiet=True, live=False))
    options = parse_track_args("")
    assert options.quiet and not options.live and options.autolog
    assert not parse_track_args("--no-autolog").autolog
