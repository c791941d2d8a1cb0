"""Help inside the app: the node reference (F1), About (versions, licences, where things live),
and the welcome screen of the first run."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
)

from app import __version__
from app.core.reference import markdown, node_markdown
from app.core.registry import Registry
from app.core.resources import resource_path

LICENCES = """
**Reelgraph** is free software under the **GNU GPL, version 3 or later** (see LICENSE).

Bundled components and their licences:

| component | licence |
|---|---|
| Qt 6 and PySide6 (Qt for Python) | LGPL-3.0 (Qt), LGPL-3.0 (PySide6) |
| FFmpeg and x264, in PyAV's wheels | FFmpeg LGPL/GPL build with **x264 (GPL-2.0-or-later)**: hence Reelgraph's GPL |
| PyAV | BSD-3-Clause |
| OpenCV (opencv-python-headless) | Apache-2.0 |
| NodeGraphQt | MIT |
| pyqtgraph | MIT |
| NumPy, networkx, httpx, platformdirs, Pillow | BSD / HPND-style permissive licences |
| pydantic, rich, keyring | MIT |
| OpenTimelineIO and its adapters | Apache-2.0 |
| Demo media in resources/media | public domain / CC0 (see resources/media/README) |
"""


class HelpDialog(QDialog):
    def __init__(self, registry: Registry, type_id: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Node reference")
        self.resize(900, 760)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        nt = registry.get(type_id) if type_id else None
        self.browser.setMarkdown(node_markdown(nt) if nt else markdown(registry))
        self.shows = nt.id if nt else None
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        if nt is not None:
            everything = QPushButton("All nodes")
            everything.clicked.connect(lambda: self._all(registry))
            buttons.addButton(everything, QDialogButtonBox.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def _all(self, registry: Registry) -> None:
        self.browser.setMarkdown(markdown(registry))
        self.shows = None


def where_things_live() -> dict[str, str]:

    from app.core.dirs import cache_dir, config_dir, log_dir, state_dir

    return {
        "Cache (results, job journal)": str(cache_dir()),
        "Settings, keys file, prices": str(config_dir()),
        "Recovery files, recent files, run history": str(state_dir()),
        "Logs": str(log_dir()),
    }


def versions() -> dict[str, str]:
    import av
    import cv2
    import NodeGraphQt
    import pyqtgraph
    import PySide6
    from PySide6.QtCore import qVersion

    return {
        "Reelgraph": __version__,
        "Python": platform.python_version(),
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "PyAV / FFmpeg": f"{av.__version__} / {av.library_versions['libavcodec']}",
        "OpenCV": cv2.__version__,
        "NodeGraphQt": getattr(NodeGraphQt, "__version__", "0.6"),
        "pyqtgraph": pyqtgraph.__version__,
        "Platform": f"{platform.system()} {platform.machine()}",
    }


class AboutDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Reelgraph")
        self.resize(760, 680)
        rows = "\n".join(f"| {k} | {v} |" for k, v in versions().items())
        places = "\n".join(f"| {k} | `{v}` |" for k, v in where_things_live().items())
        text = (
            f"# Reelgraph {__version__}\n\nA node-graph editor for making films with AI video models: "
            f"compose each shot as a graph, preview motion locally, compare takes, never pay twice.\n\n"
            f"| | version |\n|---|---|\n{rows}\n\n## Where things live\n\n| | folder |\n|---|---|\n{places}\n\n"
            f"## Licences\n{LICENCES}"
        )
        self.browser = QTextBrowser()
        self.browser.setMarkdown(text)
        self.text = text
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)


class WelcomeDialog(QDialog):
    """First run: start from a template, know what sample media ships, optionally add keys."""

    template_chosen = Signal(Path)
    keys_requested = Signal()

    def __init__(self, templates: list[Path], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Reelgraph")
        self.resize(720, 560)
        intro = QLabel(
            "<h2>Welcome to Reelgraph</h2>"
            "<p>Each shot is a graph: a prompt and a still go into a generator, a camera path or a "
            "motion brush says how things move, export writes the file. Everything here works "
            "<b>offline</b> with the built-in local engine; cloud models (Kling, Runway, Luma, Veo, "
            "fal, Replicate) and your own ComfyUI server are optional backends.</p>"
            "<p>Start from one of these examples (double-click), then press <b>Run</b>:</p>"
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        for t in templates:
            item = QListWidgetItem(t.stem.replace("_", " "))
            item.setData(Qt.UserRole, str(t))
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(self._chosen)
        media = sorted(
            p.name
            for p in resource_path("media").glob("*")
            if p.suffix != ".md" and p.name != "README"
        )
        sample = QLabel(
            f"<p>Sample media (public domain / CC0) in <code>resources/media</code>: {', '.join(media)}."
            "</p><p>Press <b>Tab</b> on the canvas to add a node, <b>F1</b> for the selected node's "
            "reference.</p>"
        )
        sample.setWordWrap(True)
        open_btn = QPushButton("Start from the selected example")
        open_btn.clicked.connect(lambda: self._chosen(self.list.currentItem()))
        keys_btn = QPushButton("Enter API keys (optional)...")
        keys_btn.clicked.connect(self.keys_requested.emit)
        self.again = QCheckBox("Show this at start")
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(open_btn)
        row.addWidget(keys_btn)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(sample)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.again)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout.addLayout(bottom)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _chosen(self, item) -> None:
        if item is not None:
            self.template_chosen.emit(Path(item.data(Qt.UserRole)))
            self.accept()


def first_run_marker() -> Path:
    from app.ui.session import state_dir

    return state_dir() / "welcomed"
