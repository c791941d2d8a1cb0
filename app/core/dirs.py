"""The user's own folders, each overridable by an environment variable (tests, portable
installs): settings and keys, results cache, recovery and history state, logs."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "reelgraph"


def _dir(env: str, default: str, create: bool) -> Path:
    value = os.environ.get(env)
    d = Path(value) if value else Path(default)
    if create:
        d.mkdir(parents=True, exist_ok=True)
    return d


def config_dir(create: bool = True) -> Path:
    """settings.json, keys.json (the keyring fallback), models.json, ComfyUI templates."""
    return _dir("REELGRAPH_CONFIG_DIR", platformdirs.user_config_dir(APP, appauthor=False), create)


def cache_dir() -> Path:
    """Results and the job journal (made by the cache when it opens)."""
    return _dir("REELGRAPH_CACHE_DIR", platformdirs.user_cache_dir(APP, appauthor=False), False)


def state_dir(create: bool = True) -> Path:
    """Recovery files, recent files, run history, window layout."""
    return _dir("REELGRAPH_STATE_DIR", platformdirs.user_state_dir(APP, appauthor=False), create)


def log_dir(create: bool = False) -> Path:
    return _dir("REELGRAPH_LOG_DIR", platformdirs.user_log_dir(APP, appauthor=False), create)


FOLDER_VARS = "REELGRAPH_CONFIG_DIR, REELGRAPH_CACHE_DIR, REELGRAPH_STATE_DIR, REELGRAPH_LOG_DIR"


def folder_problem(e: OSError) -> str:
    """One line for a folder Reelgraph cannot use (a file where a folder should be, no
    permission, a full disk), naming the path and the way out."""
    where = e.filename or "a folder"
    return (
        f"cannot use {where}: {e.strerror or e}. Reelgraph keeps its settings, results and state "
        f"in folders you can change with {FOLDER_VARS}; point the one that holds this path at a "
        "folder you can write to."
    )
