"""``mltrack models``: batch prediction from files and the REST scoring server."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from jupyter_mltrack.cli._common import CliState, pass_state
from jupyter_mltrack.errors import InvalidInputError

__all__ = ["models"]

model_uri_option = click.option(
    "-m",
    "--model-uri",
    required=True,
    metavar="URI",
    help="The model: a local path, file://, runs:/<run_id>/<path> or models:/<name>/<version>.",
)


# Spelled out rather than imported, so `mltrack --help` does not load the environments package.
_ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")
env_manager_option = click.option(
    "--env-manager",
    type=click.Choice(_ENV_MANAGERS),
    default="local",
    show_default=True,
    help="Where the model runs: local (this Python), or virtualenv/uv/conda: an environment "
    "built from the model's python_env.yaml / requirements.txt (once; cached and reused).",
)


@click.group()
def models() -> None:
    """Predict with and serve models saved in the MLmodel format."""


@models.command()
@model_uri_option
@click.option(
    "-i",
    "--input-path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Input file: .csv (with a header row), .parquet, or .json (a scoring payload such as "
    '{"dataframe_split": ...} or a list of row objects).',
)
@click.option(
    "-o",
    "--output-path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the predictions here as CSV (default: print them to stdout).",
)
@click.option(
    "-t",
    "--content-type",
    type=click.Choice(["json", "csv", "parquet"]),
    help="The input's format (default: from the file extension).",
)
@click.option(
    "--params",
    metavar="JSON",
    help="Inference params as a JSON object, e.g. '{\"threshold\": 0.3}'; they override "
    "params given in a JSON payload.",
)
@click.option("--no-verify", is_flag=True, help="Skip checking the model files' recorded hashes.")
@env_manager_option
@pass_state
def predict(
    state: CliState,
    model_uri: str,
    input_path: str,
    output_path: str | None,
    content_type: str | None,
    params: str | None,
    no_verify: bool,
    env_manager: str,
) -> None:
    """Predict on a file of inputs and write the predictions as CSV.

    Loading a pickled model runs code from it: only load models you trust.
    """
    if env_manager != "local":
        args = ["-i", os.path.abspath(input_path)]
        args += ["-o", os.path.abspath(output_path)] if output_path else []
        args += ["-t", content_type] if content_type else []
        args += ["--params", params] if params is not None else []
        args += ["--no-verify"] if no_verify else []
        _exec_in_environment(model_uri, env_manager, "predict", args)
    from jupyter_mltrack.models.batch import input_format, predictions_to_frame, read_input
    from jupyter_mltrack.pyfunc import load_model

    fmt = input_format(input_path, content_type)
    extra_params = _parse_params(params)
    model = load_model(model_uri, verify=not no_verify)
    data, payload_params = read_input(input_path, fmt, schema=model.metadata.get_input_schema())
    merged = {**(payload_params or {}), **extra_params} or None
    frame = predictions_to_frame(model.predict(data, params=merged))
    if output_path is None:
        click.echo(frame.to_csv(index=False), nl=False)
    else:
        frame.to_csv(output_path, index=False)
        click.echo(f"Wrote {len(frame):,} predictions to {output_path}", err=True)


@models.command()
@model_uri_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The interface to listen on; use 0.0.0.0 to accept connections from other machines.",
)
@click.option("-p", "--port", type=int, default=5001, show_default=True, help="The TCP port.")
@click.option(
    "-w",
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Worker processes, each with its own copy of the model.",
)
@env_manager_option
@pass_state
def serve(
    state: CliState, model_uri: str, host: str, port: int, workers: int, env_manager: str
) -> None:
    """Serve a model over HTTP with MLflow's scoring protocol.

    POST /invocations takes JSON (dataframe_split, dataframe_records, instances or inputs,
    plus optional params), text/csv or Parquet and answers {"predictions": ...};
    GET /ping, /health and /version report on the server. Stop it with Ctrl+C.
    """
    if env_manager != "local":
        args = ["--host", host, "--port", str(port), "--workers", str(workers)]
        _exec_in_environment(model_uri, env_manager, "serve", args)
    from jupyter_mltrack.models.serving import serve as run_server

    run_server(model_uri, host=host, port=port, workers=workers)


def _exec_in_environment(model_uri: str, env_manager: str, command: str, args: list[str]) -> None:
    """Replace this process with ``mltrack models <command>`` inside the model's environment.

    The model is fetched here (runs:/ and models:/ need this process's tracking settings) and
    the environment built or reused; exec keeps the pid, so signals reach the server directly.
    """
    from jupyter_mltrack.environments.model_env import model_environment, scoring_command
    from jupyter_mltrack.models.uri import resolve_model_uri

    model_dir = resolve_model_uri(model_uri)
    environment = model_environment(model_dir, env_manager)
    click.echo(
        f"Scoring in the {env_manager} environment {environment.spec_hash} ({environment.path})",
        err=True,
    )
    argv = scoring_command(environment, model_dir, command, args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, environment.environ())


def _parse_params(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        params = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"--params is not valid JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise InvalidInputError(f"--params must be a JSON object, got {text!r}")
    return params


from jupyter_mltrack.cli.registry import add_registry_commands  # noqa: E402 - needs the group

add_registry_commands(models)
