"""Render user-written markdown (model descriptions, ``.md`` artifacts) as safe HTML.

Descriptions are user data shown to other people, so raw HTML in them must never reach the page.
``markdown-it-py`` (CommonMark) is used when installed, with raw HTML turned off (it is escaped)
and its link validation on (``javascript:`` and ``data:`` links are dropped). Without it a small
renderer handles what descriptions use most: headings, paragraphs, lists, code, emphasis and
links, escaping everything first.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

__all__ = ["render_markdown"]

_SAFE_LINK = re.compile(r"^(https?://|mailto:|#|/|\./|\.\./)", re.IGNORECASE)


def render_markdown(text: str) -> str:
    """Return ``text`` rendered as HTML in which no user-provided markup is live.

    Example:
        >>> render_markdown("**bold** <script>x</script>")
        '<p><strong>bold</strong> &lt;script&gt;x&lt;/script&gt;</p>\\n'
    """
    renderer = _markdown_it()
    if renderer is not None:
        rendered: str = renderer.render(text)
        return rendered
    return _minimal(text)


@cache
def _markdown_it() -> Any:
    try:
        from markdown_it import MarkdownIt
    except ImportError:
        return None
    return MarkdownIt("commonmark", {"html": False}).enable("table")


# -- the fallback renderer ----------------------------------------------------------------------
def _minimal(text: str) -> str:
    """A line-based subset of markdown; every input character is escaped before markup is added."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>\n")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>\n")
            items.clear()

    for line in text.splitlines():
        if line.strip().startswith("```"):
            if code is None:
                flush()
                code = []
            else:
                out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>\n")
                code = None
            continue
        if code is not None:
            code.append(line)
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        item = re.match(r"^\s*[-*+]\s+(.*)$", line)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>\n")
        elif item:
            if paragraph:
                flush()
            items.append(item.group(1))
        elif not line.strip():
            flush()
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    if code is not None:
        out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>\n")
    flush()
    return "".join(out)


def _inline(text: str) -> str:
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(
        f"<code>{html.escape(p[1:-1])}</code>" if p.startswith("`") and len(p) > 1 else _spans(p)
        for p in parts
    )


def _spans(text: str) -> str:
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    escaped = re.sub(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", r"<em>\1</em>", escaped)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", _link, escaped)


def _link(match: re.Match[str]) -> str:
    label, target = match.group(1), match.group(2)
    if not _SAFE_LINK.match(html.unescape(target)):
        return label  # drop javascript:, data: and other schemes, keep the text
    return f'<a href="{target}" target="_blank" rel="noopener noreferrer">{label}</a>'
