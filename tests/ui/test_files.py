"""Files and safety: save/reopen gives the identical model, the dirty marker and the close
prompt, recent files, templates, opening a render's embedded graph by drag and drop, and
restoring autosaved work after the editor was killed."""

import json
import os
import signal
import subprocess
import sys

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.core.fileio import load_workflow
from app.ui import session
from tests.ui.conftest import ROOT


def test_save_and_reopen_is_identical(win, demo, tmp_path, registry, cache, qtbot):
    assert win.open_path(demo)
    win.doc.set_param("shot", "seed", 7)
    win.doc.move_nodes({"export": (900.0, 222.0)})
    win.doc.rename_node("shot", "Opening shot")
    assert win.isWindowModified() and win.windowTitle().startswith("demo.json")
    out = tmp_path / "saved.json"
    assert win._save_to(out)
    assert not win.isWindowModified()
    model = win.doc.wf.to_json_dict()
    from app.ui.main_window import MainWindow

    other = MainWindow(registry=registry, cache=cache)
    qtbot.addWidget(other)
    assert other.open_path(out)
    assert other.doc.wf.to_json_dict() == model
    assert sorted(other.bridge.nodes) == sorted(n["id"] for n in model["nodes"])  # ids are stable
    assert other.bridge.nodes["shot"].name() == "Opening shot · Generator"
    assert session.recent_files()[0] == out.resolve()


def test_close_asks_to_save_changes(win, demo, tmp_path):
    win.open_path(demo)
    win.doc.set_param("shot", "seed", 3)
    asked = []
    win.ask_save = lambda: asked.append(1) or "cancel"
    assert not win.close()  # cancelled: the window stays, nothing lost
    assert asked and win.doc.wf.node("shot").params["seed"] == 3
    win.ask_save = lambda: "save"
    assert win.close()
    assert load_workflow(demo).node("shot").params["seed"] == 3


def test_new_from_template_makes_paths_absolute(win):
    win.new_from_template(ROOT / "workflows" / "demo.json")
    assert win.doc.path is None
    path = win.doc.wf.node("still").params["path"]
    assert (
        os.path.isabs(path) and path.endswith("resources/media/coffee.png") and os.path.exists(path)
    )


def test_drop_a_render_opens_its_graph(win, demo, tmp_path, qtbot):
    env = dict(os.environ, REELGRAPH_CACHE_DIR=str(tmp_path / "cli-cache"))
    subprocess.run(
        [sys.executable, "-m", "app.cli", "run", str(demo), "--out", str(tmp_path / "renders")],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    render = tmp_path / "renders" / "demo_coffee.mp4"
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(render))])
    event = QDropEvent(QPointF(200, 200), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    win.dropEvent(event)
    assert [n.id for n in win.doc.wf.nodes] == [n.id for n in load_workflow(demo).nodes]
    assert win.doc.path is None  # a new document: saving never writes over the render
    assert os.path.isabs(win.doc.wf.node("still").params["path"])
    # a file without a workflow says so and leaves the document alone
    (tmp_path / "plain.png").write_bytes((ROOT / "resources" / "media" / "coffee.png").read_bytes())
    before = win.doc.wf.to_json_dict()
    assert not win.open_path(tmp_path / "plain.png")
    assert "no Reelgraph workflow embedded" in win.status_label.text()
    assert win.doc.wf.to_json_dict() == before


CRASHER = r"""
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv)
from app.ui.main_window import MainWindow
w = MainWindow()
w.show()
w.open_path(Path(sys.argv[1]))
w.doc.set_param("shot", "seed", 1234)
w.doc.add_node("upscale", (900, 400))
print(w.autosave(), flush=True)
time.sleep(60)
"""


def test_autosave_is_restored_after_a_crash(win, demo, state_dir, tmp_path):
    env = dict(
        os.environ,
        REELGRAPH_STATE_DIR=str(state_dir),
        QT_QPA_PLATFORM="offscreen",
        REELGRAPH_CACHE_DIR=str(tmp_path / "c"),
    )
    p = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(demo)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = p.stdout.readline().strip()
    assert line.endswith(".json") and os.path.exists(line)
    os.kill(p.pid, signal.SIGKILL)  # no chance to clean up
    p.wait(10)
    found = session.leftovers()
    assert len(found) == 1 and found[0].path == demo.resolve()
    offered = []
    win.ask_restore = lambda rec: offered.append(rec.describe()) or "restore"
    assert win.offer_recovery()
    assert offered and "demo.json" in offered[0]
    assert win.doc.wf.node("shot").params["seed"] == 1234 and win.doc.wf.node("upscale") is not None
    assert win.doc.path == demo.resolve() and win.isWindowModified()
    assert "upscale" in win.bridge.nodes
    assert not os.path.exists(line)  # restored: the old recovery file is gone, ours holds the work
    assert session.leftovers() == []  # our own (live) file is never offered


def test_autosave_only_when_dirty_and_removed_on_save(win, demo, tmp_path):
    win.open_path(demo)
    assert win.autosave() is None
    win.doc.set_param("shot", "seed", 5)
    f = win.autosave()
    doc = json.loads(f.read_text())
    assert doc["workflow"]["nodes"][3]["params"]["seed"] == 5 and doc["pid"] == os.getpid()
    win.save()
    assert not f.exists()
