"""Editor entry point. Until the node-graph editor lands, a plain window that loads the workflow,
lists its nodes and points to the headless runner."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QMainWindow, QVBoxLayout, QWidget

from app import __version__
from app.core.errors import WorkflowError
from app.core.fileio import load_workflow


def build_window(path: str | None) -> QMainWindow:
    win = QMainWindow()
    win.setWindowTitle(f"Reelgraph {__version__}")
    body = QWidget()
    layout = QVBoxLayout(body)
    note = QLabel("The node-graph editor is not built yet. Run workflows headless with "
                  "`reelgraph run WORKFLOW` or `make demo`.")
    note.setWordWrap(True)
    layout.addWidget(note)
    nodes = QListWidget()
    if path:
        try:
            wf = load_workflow(path)
            win.setWindowTitle(f"{wf.name} - Reelgraph {__version__}")
            for n in wf.nodes:
                nodes.addItem(f"{n.id}  ({n.type})")
        except WorkflowError as e:
            nodes.addItem(f"cannot open {path}: {e}")
    layout.addWidget(nodes)
    win.setCentralWidget(body)
    win.resize(640, 420)
    return win


def run_editor(path: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    win = build_window(path)
    win.show()
    return app.exec()
