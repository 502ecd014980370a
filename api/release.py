"""The release that is running: what keys answers computed by this code (the answer cache)."""

from __future__ import annotations

import tomllib
from pathlib import Path


def current_release(base_dir: Path) -> str:
    """The git commit of the checkout at `base_dir` (read from `.git`, no git process), else the package version
    of its pyproject.toml, else "unknown". `APP_RELEASE` in the environment wins over both (settings)."""
    commit = _git_commit(base_dir / ".git")
    if commit:
        return commit
    try:
        return "v" + tomllib.loads((base_dir / "pyproject.toml").read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def _git_commit(git: Path) -> str | None:
    if git.is_file():  # a worktree: "gitdir: <path>"
        text = git.read_text().strip()
        if not text.startswith("gitdir:"):
            return None
        git = Path(text.removeprefix("gitdir:").strip())
    try:
        head = (git / "HEAD").read_text().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head.removeprefix("ref:").strip()
    for root in (git, _common_dir(git)):
        try:
            return (root / ref).read_text().strip()
        except OSError:
            pass
        try:
            for line in (root / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split(" ", 1)[0]
        except OSError:
            pass
    return None


def _common_dir(git: Path) -> Path:
    try:
        return (git / (git / "commondir").read_text().strip()).resolve()
    except OSError:
        return git
