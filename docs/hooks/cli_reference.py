"""MkDocs hook: write the CLI reference from the click commands themselves, at build time.

``docs/reference/cli.md`` holds a ``<!-- cli-reference -->`` marker; this hook replaces it with
every command's usage, help text and options, so the page can never drift from the code.
"""

from __future__ import annotations

from typing import Any

import click

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the marker of the CLI reference page (other pages pass through)."""
    if MARKER not in markdown:
        return markdown
    from jupyter_mltrack.cli.main import main

    return markdown.replace(MARKER, "\n".join(_command(main, ["mltrack"], click.Context(main))))


def _command(command: click.Command, path: list[str], parent: click.Context) -> list[str]:
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    depth = min(len(path) + 1, 4)
    lines = [f"{'#' * depth} `{' '.join(path)}`", ""]
    lines += ["```text", command.get_help(ctx).replace("Usage: mltrack", "mltrack"), "```", ""]
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                lines += _command(sub, [*path, name], ctx)
    return lines
