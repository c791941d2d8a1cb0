"""Editor entry point: the main window with a workflow (the demo by default) and, after a
crash, an offer to restore the unsaved work."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app import __version__


def run_editor(path: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Reelgraph")
    app.setApplicationVersion(__version__)
    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_dark

    apply_dark(app)
    win = MainWindow()
    win.show()
    if not win.offer_recovery() and path:
        win.open_path(Path(path))
    return app.exec()
