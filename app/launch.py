"""Opening the editor: says so clearly when there is no display instead of crashing."""

from __future__ import annotations

import os
import sys

from app.core.resources import data_dir
from app.qt_libs import headless_hint

DEMO = data_dir("workflows") / "demo.json"


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").lower() in ("offscreen", "minimal", "vnc"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def launch_editor(workflow: str | None = None) -> int:
    if not has_display():
        print(
            "reelgraph: no display found (DISPLAY / WAYLAND_DISPLAY are not set), so the editor "
            "cannot open.\n" + headless_hint(),
            file=sys.stderr,
        )
        return 1
    from app.qt_libs import check_xcb

    problem = check_xcb()
    if problem:  # said plainly, before Qt aborts with its own words
        print(problem, file=sys.stderr)
        return 2
    from app.ui.app import run_editor

    return run_editor(workflow or last_or_demo())


def last_or_demo() -> str | None:
    """Where the editor opens without a file named: the last file worked on, else the demo."""
    from app.ui.session import recent_files

    last = next((p for p in recent_files() if p.is_file()), None)
    return str(last) if last is not None else (str(DEMO) if DEMO.exists() else None)


def main() -> int:
    return launch_editor(sys.argv[1] if len(sys.argv) > 1 else None)


if __name__ == "__main__":
    sys.exit(main())
