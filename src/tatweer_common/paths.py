"""Where the project, the offline assets and the caches live.

Every location can be overridden with an environment variable so that nothing depends
on this machine's layout:

* ``TATWEER_ASSETS``: folder of the offline stand-ins (default ``<project>/../shared/assets``).
* ``TATWEER_CACHE``: folder for exported/converted models (default ``~/.cache/tatweer``).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml``)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def assets_dir() -> Path:
    """Folder of the offline stand-in assets (may not exist, e.g. in Colab)."""
    env = os.environ.get("TATWEER_ASSETS")
    return Path(env) if env else project_root().parent / "shared" / "assets"


def cache_dir(*parts: str) -> Path:
    """A sub-folder of the model cache, created on demand."""
    base = Path(os.environ.get("TATWEER_CACHE", Path.home() / ".cache" / "tatweer"))
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_smoke() -> bool:
    """True when notebooks and commands should run on a tiny input (set by the tests)."""
    return os.environ.get("TATWEER_SMOKE") == "1"


def display_path(path: str | os.PathLike) -> str:
    """``path`` as shown in logs, summaries and cards: relative to the project root when inside
    it or beside it (``../shared/assets/...``), ``~/...`` under the home folder (the model
    cache), else as given; POSIX form either way.

    Keeps what the project writes free of this machine's absolute paths.
    """
    given = Path(path)
    root = project_root()
    resolved = given.resolve()
    if resolved.is_relative_to(root.parent):
        return Path(os.path.relpath(resolved, root)).as_posix()
    if resolved.is_relative_to(Path.home()):
        return "~/" + resolved.relative_to(Path.home()).as_posix()
    return given.as_posix()


def stored_path(text: str) -> Path:
    """A path written by ``display_path`` back as a usable path (relative ones are relative
    to the project root, ``~`` is the home folder)."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else project_root() / path
