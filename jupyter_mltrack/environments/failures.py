"""Name the requirement that made pip or uv fail, from the tool's output.

pip and uv print pages of output when an install fails; the person reading our error wants one
line: which package, and why. The patterns below cover the usual causes (no such version, no such
package, a conflict, a failed source build); when none matches, the error shows the output's tail.
"""

from __future__ import annotations

import re

__all__ = ["failed_requirement", "output_tail"]

# (pattern, reason); group 1 is the requirement. Order matters: the most specific first.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"No matching distribution found for (\S+)"), "no matching version on the index"),
    (
        re.compile(r"Could not find a version that satisfies the requirement (\S+)"),
        "no matching version on the index",
    ),
    (re.compile(r"Invalid requirement: '?([^'\n]+)'?"), "not a valid requirement"),
    (re.compile(r"Failed building wheel for (\S+)"), "its wheel failed to build"),
    (re.compile(r"Failed to build (?:installable wheels for .*?: )?(\S+)"), "it failed to build"),
    (re.compile(r"Because `?([^`\s]+)`? was not found in the"), "no such package on the index"),
    (
        re.compile(
            r"Because (?:there is no version of |only .*? of )?`?([^`\s]+?)`? "
            r"(?:was not found|is available|could not|and you)"
        ),
        "no matching version on the index",
    ),
    (re.compile(r"Cannot install (.+?) because"), "its dependencies conflict"),
    (re.compile(r"Because you require (.+?), we can conclude"), "the requirements conflict"),
    (re.compile(r"Failed to (?:prepare|download|fetch) .*?`([^`]+)`"), "it could not be fetched"),
)
_COLLECTING = re.compile(r"^\s*Collecting (\S+)", re.MULTILINE)
# pip's chatter about the configured indexes says nothing about the failure.
_NOISE = re.compile(r"^\s*(WARNING: Location|Looking in (indexes|links)|Using Python)")
_BUILD_FAILED = re.compile(r"did not run successfully|subprocess-exited-with-error")


def failed_requirement(output: str) -> tuple[str, str] | None:
    """Return ``(requirement, reason)`` for a failed pip/uv install, ``None`` if unknown.

    Example:
        >>> failed_requirement("ERROR: No matching distribution found for six==99.0")
        ('six==99.0', 'no matching version on the index')
    """
    for pattern, reason in _PATTERNS:
        match = pattern.search(output)
        if match is not None:
            return match.group(1).strip().strip("'\"`"), reason
    if _BUILD_FAILED.search(output):
        collecting = _COLLECTING.findall(output)
        if collecting:  # pip was working on the last package it started collecting
            return collecting[-1], "it failed to build"
    return None


def output_tail(output: str, lines: int = 15) -> str:
    """Return the last ``lines`` non-empty lines of a tool's output."""
    kept = [line for line in output.splitlines() if line.strip() and not _NOISE.match(line)]
    return "\n".join(kept[-lines:])
