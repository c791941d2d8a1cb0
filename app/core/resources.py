"""Where the data shipped with Reelgraph lives (resources/, workflows/, docs/): one place that
knows, so no module counts parent folders.

From a clone (and the PyInstaller bundle) the folders sit beside app/; an installed wheel carries
them inside the package, as app/shipped/<name> (pyproject's package-dir)."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def in_clone() -> bool:
    """Running from the project's own tree (a clone, or the PyInstaller bundle built from one),
    not from an installed package: only then do the folders beside app/ belong to us (an
    installed app/ sits in site-packages, where any package may have made a resources/)."""
    return (ROOT / "pyproject.toml").is_file() or bool(getattr(sys, "frozen", False))


def data_dir(name: str) -> Path:
    """The shipped folder ``name``: "resources", "workflows" or "docs"."""
    beside = ROOT / name
    if in_clone() and beside.is_dir():
        return beside
    return Path(str(files("app") / "shipped" / name))


def resource_path(*parts: str) -> Path:
    return data_dir("resources").joinpath(*parts)
