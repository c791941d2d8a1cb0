"""Helpers shared by the test packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def reelgraph_cli(tmp_path: Path, timeout: float = 120):
    """``reelgraph`` as a real process, its folders in ``tmp_path``: cli(*args) -> CompletedProcess."""
    env = {
        "REELGRAPH_CONFIG_DIR": str(tmp_path / "config"),
        "REELGRAPH_CACHE_DIR": str(tmp_path / "cache"),
        "REELGRAPH_LOG_DIR": str(tmp_path / "logs"),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=timeout,
        )

    return cli
