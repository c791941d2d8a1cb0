"""Where the data shipped with Reelgraph lives (resources/, workflows/, docs/): one place that
knows, so no module counts parent folders."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def resource_path(*parts: str) -> Path:
    return ROOT.joinpath("resources", *parts)
