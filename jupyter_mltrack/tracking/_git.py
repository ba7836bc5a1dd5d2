"""Git facts about the repository holding a file, read from ``.git`` without GitPython.

Commit, branch and remote URL come from reading ``HEAD``, loose refs, ``packed-refs`` and
``config`` directly (worktrees and submodules included: a ``.git`` *file* points to the git dir,
``commondir`` to the shared one). Only the dirty flag needs ``git status``. Facts are cached per
repository root for the process lifetime and revalidated by a few ``stat`` calls: they are re-read
when ``HEAD``, the index or the branch ref changes, and ``git status`` runs again at most every
:data:`GIT_DIRTY_TTL_SECONDS` (editing a file changes no git metadata).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import NamedTuple

import jupyter_mltrack.tracking.tags as t

__all__ = ["GIT_DIRTY_TTL_SECONDS", "GIT_TIMEOUT_SECONDS", "clear_cache", "git_tags"]

logger = logging.getLogger(__name__)

#: How long a cached dirty flag is trusted while no git metadata file changes.
GIT_DIRTY_TTL_SECONDS = 5.0
GIT_TIMEOUT_SECONDS = 2.0


class _Repo(NamedTuple):
    root: str
    git_dir: str  # per-worktree: HEAD, index
    common_dir: str  # shared: refs, packed-refs, config


@dataclass(slots=True)
class _RepoState:
    ref: str | None
    signature: tuple[tuple[int, int, int], ...]
    tags: dict[str, str]
    dirty_checked: float


_REPO_OF_DIR: dict[str, _Repo | None] = {}
_REPOS: dict[str, _RepoState] = {}
_SLOW_REPOS: set[str] = set()  # git status timed out there once; never block on it again


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _find_repo(directory: str) -> _Repo | None:
    if directory in _REPO_OF_DIR:
        return _REPO_OF_DIR[directory]
    repo, current = None, directory
    while repo is None:
        dot = os.path.join(current, ".git")
        text = _read(dot) if os.path.isfile(dot) else None  # worktree/submodule "gitdir: ..."
        git_dir = dot if os.path.isdir(dot) else None
        if text and text.startswith("gitdir:"):
            git_dir = os.path.normpath(os.path.join(current, text[7:].strip()))
        if git_dir is not None:
            common = (_read(os.path.join(git_dir, "commondir")) or ".").strip()
            repo = _Repo(current, git_dir, os.path.normpath(os.path.join(git_dir, common)))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    _REPO_OF_DIR[directory] = repo
    return repo


def _resolve_ref(repo: _Repo, ref: str) -> str | None:
    for _ in range(5):  # a loose ref may itself be symbolic
        text = _read(os.path.join(repo.git_dir, ref)) or _read(os.path.join(repo.common_dir, ref))
        if text is None:
            break
        text = text.strip()
        if not text.startswith("ref:"):
            return text or None
        ref = text[4:].strip()
    for line in (_read(os.path.join(repo.common_dir, "packed-refs")) or "").splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


_REMOTE_RE = re.compile(r'^\s*\[\s*remote\s+"([^"]*)"\s*\]')
_URL_RE = re.compile(r"^\s*url\s*=\s*(\S.*?)\s*$")


def _remote_url(repo: _Repo) -> str | None:
    """Return the URL of ``origin`` (else the first remote) without http credentials."""
    urls: dict[str, str] = {}
    remote = None
    for line in (_read(os.path.join(repo.common_dir, "config")) or "").splitlines():
        if line.lstrip().startswith("["):
            match = _REMOTE_RE.match(line)
            remote = match.group(1) if match else None
        elif remote is not None and (found := _URL_RE.match(line)):
            urls.setdefault(remote, found.group(1))
    url = urls.get("origin") or next(iter(urls.values()), None)
    return re.sub(r"^(https?://)[^/@]*@", r"\1", url) if url else None


def _stamp(path: str) -> tuple[int, int, int]:
    # git replaces these files by renaming a lock file, so the inode changes even where mtime
    # granularity is coarse.
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1, -1)
    return (st.st_mtime_ns, st.st_ino, st.st_size)


def _signature(repo: _Repo, ref: str | None) -> tuple[tuple[int, int, int], ...]:
    """Stamp every file whose change means the commit, the branch or the index changed."""
    names = [(repo.git_dir, "HEAD"), (repo.git_dir, "index"), (repo.common_dir, "packed-refs")]
    if ref:
        names.append((repo.common_dir, ref))
    return tuple(_stamp(os.path.join(folder, name)) for folder, name in names)


@functools.cache
def _git_executable() -> str | None:
    return shutil.which("git")


def _git_status_dirty(root: str) -> bool | None:
    """Return whether tracked files differ from HEAD, or None if git cannot tell."""
    git = _git_executable()
    if git is None or root in _SLOW_REPOS:
        return None
    try:
        proc = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never rewrite the index
            check=False,
        )
    except subprocess.TimeoutExpired:
        _SLOW_REPOS.add(root)
        logger.warning(
            "git status took over %ss in %s; runs from it get no %s tag",
            GIT_TIMEOUT_SECONDS,
            root,
            t.GIT_DIRTY,
        )
        return None
    except (OSError, subprocess.SubprocessError):
        logger.debug("git status failed in %s", root, exc_info=True)
        return None
    return bool(proc.stdout.strip()) if proc.returncode == 0 else None


def _read_state(repo: _Repo) -> _RepoState:
    head = (_read(os.path.join(repo.git_dir, "HEAD")) or "").strip()
    ref = head[4:].strip() if head.startswith("ref:") else None  # None: detached HEAD
    signature = _signature(repo, ref)  # taken first, so a change while reading is seen next time
    tags = {
        t.GIT_COMMIT: _resolve_ref(repo, ref) if ref else head,
        t.GIT_BRANCH: ref.removeprefix("refs/heads/") if ref else None,
        t.GIT_REPO_URL: _remote_url(repo),
    }
    state = _RepoState(ref, signature, {k: v for k, v in tags.items() if v}, 0.0)
    _refresh_dirty(repo, state)
    return state


def _refresh_dirty(repo: _Repo, state: _RepoState) -> None:
    dirty = _git_status_dirty(repo.root)
    tags = {k: v for k, v in state.tags.items() if k != t.GIT_DIRTY}
    if dirty is not None:
        tags[t.GIT_DIRTY] = "true" if dirty else "false"
    state.tags, state.dirty_checked = tags, time.monotonic()  # swapped whole: readers never block


def git_tags(source_path: str) -> dict[str, str]:
    """Return the git tags of the repository holding ``source_path`` (``{}`` outside one).

    After the first call for a repository this costs a few ``stat`` calls (see the module doc).
    """
    repo = _find_repo(os.path.dirname(source_path))
    if repo is None:
        return {}
    state = _REPOS.get(repo.root)
    if state is None or _signature(repo, state.ref) != state.signature:
        state = _REPOS[repo.root] = _read_state(repo)
    elif time.monotonic() - state.dirty_checked >= GIT_DIRTY_TTL_SECONDS:
        _refresh_dirty(repo, state)
    return dict(state.tags)


def clear_cache() -> None:
    """Forget every cached repository location and state."""
    _REPO_OF_DIR.clear()
    _REPOS.clear()
    _SLOW_REPOS.clear()
