"""Where a project's files come from: a local folder, or a Git repository at a pinned version.

``https://host/org/repo.git#sub/dir``, ``file:///srv/repo``, ``git@host:org/repo.git`` and (with
a version) a local repository path are fetched with the ``git`` command: the version (a branch,
a tag or a commit; default the remote's ``HEAD``) is resolved to a commit, and that commit is
checked out cleanly into a cache folder named by it (``~/.cache/mltrack/projects/<sha>``;
``MLTRACK_PROJECTS_CACHE`` overrides). Later runs of the same commit reuse the checkout; a
branch or tag is resolved again with ``git ls-remote`` each time, so a moved branch is seen.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["ENV_PROJECTS_CACHE", "ProjectSource", "fetch_project", "projects_cache_dir"]

ENV_PROJECTS_CACHE = "MLTRACK_PROJECTS_CACHE"
_GIT_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_HEX = re.compile(r"^[0-9a-f]{4,40}$")


@dataclass(frozen=True)
class ProjectSource:
    """A project folder ready to load, and where it came from.

    Attributes:
        root: The folder to load the project from (the checkout's subdirectory, if any).
        uri: The URI as given.
        repo_url: The repository fetched (``None`` for a local folder run in place).
        commit: The resolved commit (``None`` for a local folder run in place).
        version: The version asked for (``None``: the default branch).
        branch: ``version`` when it names a branch of the repository.
    """

    root: str
    uri: str
    repo_url: str | None = None
    commit: str | None = None
    version: str | None = None
    branch: str | None = None


def projects_cache_dir() -> Path:
    """The folder holding one clean checkout per commit."""
    configured = os.environ.get(ENV_PROJECTS_CACHE, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.expanduser("~/.cache")
    return Path(base) / "mltrack" / "projects"


def fetch_project(uri: str, version: str | None = None) -> ProjectSource:
    """Return the folder to run for project ``uri`` at ``version``, fetching it if it is Git.

    Raises:
        InvalidParameterError: The repository cannot be read, ``version`` is not one of its
            branches, tags or commits, the subdirectory is missing at that commit, or a
            version was given for a folder that is not a Git repository.

    Example:
        >>> fetch_project("https://github.com/org/repo.git#train", "v1.2").commit  # doctest: +SKIP
        '3f2a...'
    """
    base, _, subdir = uri.partition("#")
    _check_subdir(uri, subdir)
    if not _is_git_uri(base):
        local = Path(base).expanduser().resolve()
        if version is None:
            return ProjectSource(root=str(local / subdir), uri=uri)
        if not (local / ".git").exists():
            raise InvalidParameterError(
                f"A version ({version!r}) needs a Git repository, but {str(local)!r} is not "
                "the top folder of one; use <repo>#<subdirectory> for a folder inside it"
            )
        base = str(local)
    commit, branch = _resolve(base, version)
    checkout = _checkout(base, commit)
    root = checkout / subdir
    if not root.is_dir():
        raise InvalidParameterError(f"{base} at commit {commit[:12]} has no folder {subdir!r}")
    return ProjectSource(
        root=str(root), uri=uri, repo_url=base, commit=commit, version=version, branch=branch
    )


def _is_git_uri(base: str) -> bool:
    return base.startswith(_GIT_SCHEMES) or bool(_SCP_LIKE.match(base))


def _check_subdir(uri: str, subdir: str) -> None:
    if subdir and (os.path.isabs(subdir) or ".." in Path(subdir).parts):
        raise InvalidParameterError(
            f"The subdirectory of {uri!r} must be a relative path inside the repository"
        )


def _git(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    # No terminal prompts: a private repository fails with git's message instead of hanging.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _resolve(url: str, version: str | None) -> tuple[str, str | None]:
    """The commit of ``version`` (a branch, tag or commit) and the branch it names, if any."""
    if version is not None and _SHA.match(version.lower()):
        return version.lower(), None
    listed = _git("ls-remote", "--", url)
    if listed.returncode != 0:
        raise InvalidParameterError(
            f"Cannot read the Git repository {url}: {listed.stderr.strip() or 'git failed'}"
        )
    refs = {}
    for line in listed.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref.strip()] = sha.strip()
    if version is None:
        if "HEAD" not in refs:
            raise InvalidParameterError(f"The Git repository {url} has no HEAD commit")
        return refs["HEAD"], None
    for ref in (f"refs/heads/{version}", f"refs/tags/{version}^{{}}", f"refs/tags/{version}"):
        if ref in refs:
            return refs[ref], version if ref.startswith("refs/heads/") else None
    if version in refs:
        return refs[version], None
    if _HEX.match(version.lower()):
        return _commit_by_prefix(url, version, refs), None
    raise InvalidParameterError(_unknown(url, version, refs))


def _commit_by_prefix(url: str, version: str, refs: dict[str, str]) -> str:
    """Resolve an abbreviated commit by cloning (``ls-remote`` lists only refs)."""
    cache = projects_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".resolve-", dir=cache) as tmp:
        _clone(url, tmp)
        found = _git("rev-parse", "--verify", "--quiet", f"{version}^{{commit}}", cwd=tmp)
    if found.returncode != 0:
        raise InvalidParameterError(_unknown(url, version, refs))
    return found.stdout.strip()


def _unknown(url: str, version: str, refs: dict[str, str]) -> str:
    def names(prefix: str) -> str:
        found = sorted({r[len(prefix) :].removesuffix("^{}") for r in refs if r.startswith(prefix)})
        return ", ".join(found[:20]) or "none"

    return (
        f"Unknown version {version!r} of {url}: not a branch, tag or commit of it "
        f"(branches: {names('refs/heads/')}; tags: {names('refs/tags/')})"
    )


def _clone(url: str, dst: str) -> None:
    cloned = _git("clone", "--quiet", "--no-checkout", "--", url, dst)
    if cloned.returncode != 0:
        raise InvalidParameterError(f"Cannot clone {url}: {cloned.stderr.strip()}")


def _checkout(url: str, commit: str) -> Path:
    """The clean checkout of ``commit``, made once and renamed into place (atomic)."""
    cache = projects_cache_dir()
    target = cache / commit
    if target.is_dir():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{commit[:12]}-", dir=cache)
    try:
        _clone(url, tmp)
        done = _git("-c", "advice.detachedHead=false", "checkout", "--quiet", commit, cwd=tmp)
        if done.returncode != 0:
            raise InvalidParameterError(
                f"Unknown version {commit!r} of {url}: {done.stderr.strip() or 'no such commit'}"
            )
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():  # not another process's identical checkout: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
