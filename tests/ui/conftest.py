import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    d = tmp_path / "state"
    monkeypatch.setenv("REELGRAPH_STATE_DIR", str(d))
    return d


@pytest.fixture
def win(qtbot, registry, cache, state_dir, tmp_path, monkeypatch):
    """The real main window, offscreen, with the node catalog plus the engine's test nodes."""
    monkeypatch.setattr("platformdirs.user_videos_dir", lambda: str(tmp_path / "videos"))
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow
    from app.ui.theme import apply_dark

    apply_dark(QApplication.instance())  # as `make run` shows it, for the screenshots
    w = MainWindow(registry=registry, cache=cache)
    from app.core.registry import default_registry

    w.palette.registry = default_registry()  # the engine's test nodes can run, but the palette (and
    w.palette._fill("")  # every screenshot) shows the catalog users get
    w.ask_save = lambda: "discard"
    w.ask_restore = lambda rec: "later"
    qtbot.addWidget(w)
    w.resize(1400, 860)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()  # keyboard shortcuts need an active window
    yield w
    w.runner.stop()
    w.runner.wait(10)
    w.thumbs.wait()


@pytest.fixture
def demo(tmp_path):
    """The demo workflow beside a copy of its still, at a test-friendly size."""
    import json
    import shutil

    (tmp_path / "media").mkdir()
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "media" / "coffee.png")
    doc = json.loads((ROOT / "workflows" / "demo.json").read_text())
    for n in doc["nodes"]:
        if n["type"] == "reference_image":
            n["params"]["path"] = "media/coffee.png"
        if n["type"] == "generator":
            n["params"].update(width=320, height=180, duration=1)
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(doc))
    return path
