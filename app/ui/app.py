"""Editor entry point: the main window with a workflow (the demo by default) and, after a
crash, an offer to restore the unsaved work."""

from __future__ import annotations

import os
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
    from app.core.resources import data_dir, resource_path

    icon = resource_path("icons", "reelgraph_256.png")
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    try:
        win = MainWindow()
    except (FileExistsError, NotADirectoryError, PermissionError, IsADirectoryError) as e:
        from app.core.dirs import folder_problem

        print(f"reelgraph: {folder_problem(e)}", file=sys.stderr)
        return 2
    win.show()
    if not win.offer_recovery() and path:
        if Path(path).resolve().parent == data_dir("workflows").resolve():
            # a shipped template opens as an untitled copy: its runs go to the user's folder, and
            # saving asks where, never into the install folder
            win.new_from_template(Path(path))
        else:
            win.open_path(Path(path))
    from app.ui.help import first_run_marker

    if not first_run_marker().exists() and not os.environ.get("REELGRAPH_SMOKE_SCREENSHOT"):
        win.show_welcome()  # first run: templates, sample media, optional keys
    smoke = os.environ.get("REELGRAPH_SMOKE_SCREENSHOT")
    if smoke:  # packaging smoke test: prove the window came up with the workflow, then quit
        from PySide6.QtCore import QTimer

        def shoot() -> None:
            win.grab().save(smoke)
            print(f"smoke: {len(win.doc.wf.nodes)} nodes in {win.doc.title()}", flush=True)
            win.doc.undo.setClean()
            app.quit()

        QTimer.singleShot(1500, shoot)
    return app.exec()
