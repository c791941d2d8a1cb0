"""Recipes in the editor, driven with real mouse and key events: make one from a selection,
edit inside and come back, expose a setting, expand, drag one from the library, and a linked
recipe that changed (update with its diff, or keep the old version)."""

import json
import shutil

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton

from app.core import recipes
from app.core.fileio import load_workflow
from app.ui.graph import MIME_NODE
from tests.ui.conftest import ROOT
from tests.ui.test_run import grab, states, wait_run


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))


def centre(win, node_id) -> QPoint:
    view = win.bridge.nodes[node_id].view
    return win.bridge.viewer.mapFromScene(view.sceneBoundingRect().center())


def title_point(win, node_id) -> QPoint:
    r = win.bridge.nodes[node_id].view.sceneBoundingRect()
    return win.bridge.viewer.mapFromScene(QPointF(r.center().x(), r.top() + 8))


def click(win, node_id, shift=False):
    """A click on the node's title; with Shift held down (the key, as a user presses it:
    NodeGraphQt reads the keyboard, not the click's modifiers) it adds to the selection."""
    viewer = win.bridge.viewer
    if shift:
        QTest.keyPress(viewer, Qt.Key_Shift)
    mods = Qt.ShiftModifier if shift else Qt.NoModifier
    QTest.mouseClick(viewer.viewport(), Qt.LeftButton, mods, title_point(win, node_id))
    if shift:
        QTest.keyRelease(viewer, Qt.Key_Shift)


def make_push(win, qtbot) -> str:
    win.recipes.ask_name = lambda *a: "push"
    click(win, "camera")
    click(win, "shot", shift=True)
    assert sorted(win.bridge.selected_ids()) == ["camera", "shot"]
    win.bridge.viewer.setFocus()
    QTest.keyClick(win.bridge.viewer, Qt.Key_G, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: win.doc.wf.node("push") is not None, timeout=3000)
    return "push"


def test_make_recipe_from_a_selection_is_one_connected_undoable_step(win, demo, qtbot):
    assert win.open_path(demo)
    before = win.doc.wf.to_json_dict()
    inst = make_push(win, qtbot)
    wf = win.doc.wf
    assert {n.id for n in wf.nodes} == {"prompt", "still", "push", "export"}
    assert {lk.key for lk in wf.links} == {
        ("prompt", "prompt", "push", "prompt"),
        ("still", "image", "push", "image"),
        ("push", "video", "export", "video"),
    }
    assert wf.node(inst).params["source"] == "embedded:push" and "push" in wf.recipes
    ng = win.bridge.nodes[inst]  # the canvas node has the recipe's ports, connected
    assert [p.name() for p in ng.input_ports()] == ["prompt", "image"]
    assert [q.name() for q in ng.get_output("video").connected_ports()] == ["video"]
    grab(win, "recipe_made.png")
    QTest.keySequence(win, "Ctrl+Z")  # one step back to the five nodes
    assert win.doc.wf.to_json_dict() == before
    assert set(win.bridge.nodes) == {"prompt", "still", "camera", "shot", "export"}


def test_double_click_edits_inside_back_returns_and_the_change_is_one_step(win, demo, qtbot):
    assert win.open_path(demo)
    make_push(win, qtbot)
    QTest.mouseDClick(
        win.bridge.viewer.viewport(), Qt.LeftButton, Qt.NoModifier, centre(win, "push")
    )
    qtbot.waitUntil(lambda: bool(win.doc.levels), timeout=3000)
    assert win.crumb.isVisible() and "push" in win.crumb.label.text()
    assert set(win.bridge.nodes) == {"camera", "shot"}
    grab(win, "recipe_inside.png")
    click(win, "camera")
    combo = win.props.findChild(object, "param_preset")
    combo.setCurrentIndex(combo.findData("pan_left"))  # an edit inside the recipe
    assert win.doc.wf.node("camera").params["preset"] == "pan_left"
    QTest.mouseClick(win.crumb.back, Qt.LeftButton)
    assert not win.doc.levels and not win.crumb.isVisible()
    assert set(win.bridge.nodes) == {"prompt", "still", "push", "export"}
    inner = {n["id"]: n for n in win.doc.wf.recipes["push"]["nodes"]}
    assert inner["camera"]["params"]["preset"] == "pan_left"
    QTest.keySequence(win, "Ctrl+Z")  # the recipe edit is one step of the workflow
    inner = {n["id"]: n for n in win.doc.wf.recipes["push"]["nodes"]}
    assert inner["camera"]["params"].get("preset") == "zoom_in"


def test_expose_a_setting_inside_and_set_it_on_the_instance(win, demo, qtbot):
    assert win.open_path(demo)
    make_push(win, qtbot)
    win.recipes.enter("push")
    click(win, "shot")
    label = win.props.findChild(object, "label_duration")
    win.recipes.ask_name = lambda *a: "seconds"

    chosen = []

    def choose():
        menu = QApplication.activePopupWidget()
        if menu is None:
            QTimer.singleShot(50, choose)
            return
        chosen.append([a.text() for a in menu.actions()])
        menu.actions()[0].trigger()
        menu.close()

    QTimer.singleShot(50, choose)
    # the right-click as the window system delivers it: a context-menu event at the label
    at = QPoint(5, 5)
    QApplication.sendEvent(
        label, QContextMenuEvent(QContextMenuEvent.Mouse, at, label.mapToGlobal(at))
    )
    assert chosen == [["Expose on recipe..."]]
    assert [p.name for p in win.doc.wf.interface.params] == ["seconds"]
    win.recipes.exit()
    win.bridge.select(["push"])
    assert win.props.findChild(object, "param_values.seconds") is not None  # shown like a param
    win.doc.set_recipe_value("push", "seconds", 2.0)
    assert win.doc.wf.node("push").params["values"] == {"seconds": 2.0}
    flat = recipes.expand(win.doc.wf, win.registry, win.doc.base_dir).workflow
    assert flat.node("push/shot").params["duration"] == 2.0
    win.doc.set_recipe_value("push", "seconds", 1)  # the recipe's own value, chosen: kept
    assert win.doc.wf.node("push").params["values"] == {"seconds": 1}
    assert win.doc.set_recipe_value("push", "seconds", 999) is not None  # the inner bounds hold
    grab(win, "recipe_settings.png")


def test_expand_turns_the_instance_back_into_nodes(win, demo, qtbot):
    assert win.open_path(demo)
    make_push(win, qtbot)
    win.bridge.select(["push"])
    QTest.mouseClick(win.props.findChild(QPushButton, "recipe_expand"), Qt.LeftButton)
    ids = {n.id for n in win.doc.wf.nodes}
    assert ids == {"prompt", "still", "export", "push_camera", "push_shot"}
    assert ("push_shot", "video", "export", "video") in {lk.key for lk in win.doc.wf.links}
    assert ("still", "image", "push_shot", "image") in {lk.key for lk in win.doc.wf.links}


def test_drag_a_recipe_from_the_library_onto_the_canvas(win, qtbot):
    tree = win.palette.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    cat = next(i for i in items if i.text(0) == "Recipes")
    entry = next(
        cat.child(j) for j in range(cat.childCount()) if "push in shot" in cat.child(j).text(0)
    )
    md = QMimeData()
    md.setData(MIME_NODE, entry.data(0, Qt.UserRole).encode())
    vp = win.bridge.viewer.viewport()
    event = QDropEvent(QPointF(300, 200), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    win.bridge.viewer.dropEvent(event)
    [node] = win.doc.wf.nodes
    assert node.type == "recipe" and node.params["source"] == "library:push_in_shot"
    assert [p.name() for p in win.bridge.nodes[node.id].input_ports()] == ["still", "prompt"]
    assert vp is not None


def test_a_linked_recipe_that_changed_says_so_and_updates_or_keeps_its_version(
    win, tmp_path, qtbot
):
    lib = tmp_path / "config" / "recipes"
    lib.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "recipes" / "push_in_shot.json", lib / "hero.json")
    seen = recipes.remember(load_workflow(lib / "hero.json"))
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "film",
        "nodes": [
            {
                "id": f"s{i}",
                "type": "recipe",
                "params": {"source": "library:hero"},
                "ui": {"pos": [360 * i, 0], "recipe_seen": seen},
            }
            for i in (1, 2)
        ],
        "links": [],
    }
    path = tmp_path / "film.json"
    path.write_text(json.dumps(doc))
    assert win.open_path(path)
    win.doc.undo.setClean()
    recipe = json.loads((lib / "hero.json").read_text())
    recipe["nodes"][2]["params"]["crf"] = 23  # the recipe is improved
    (lib / "hero.json").write_text(json.dumps(recipe))
    win.refresh_previews()
    qtbot.waitUntil(lambda: win.bridge.item("s1").state == "recipe", timeout=5000)
    assert states(win) == {"s1": "recipe", "s2": "recipe"}  # every shot says it changed
    win.bridge.select(["s1"])
    notice = win.props.findChild(object, "recipe_notice")
    assert (
        "changed since this shot last used it" in notice.text()
        and "export.crf: 18 -&gt; 23" in notice.text()
    )
    qtbot.wait(100)  # the panel lays out before the picture is taken
    grab(win, "recipe_changed.png")
    shown = []
    win.recipes.confirm_update = lambda node_id, changes: shown.append(changes) or True
    QTest.mouseClick(win.props.findChild(QPushButton, "recipe_update"), Qt.LeftButton)
    assert shown == [["export.crf: 18 -> 23"]]
    assert win.doc.wf.node("s1").ui["recipe_seen"] != seen
    win.bridge.select(["s2"])
    QTest.mouseClick(win.props.findChild(QPushButton, "recipe_keep"), Qt.LeftButton)
    assert win.doc.wf.node("s2").params["pin"] == seen
    flat = recipes.expand(win.doc.wf, win.registry, win.doc.base_dir).workflow
    assert flat.node("s1/export").params["crf"] == 23 and flat.node("s2/export").params["crf"] == 18


def test_a_run_shows_on_the_instance_and_its_output_previews(win, demo, qtbot):
    assert win.open_path(demo)
    make_push(win, qtbot)
    assert win.run_all()
    wait_run(win, qtbot)
    assert states(win)["push"] == "finished" and states(win)["export"] == "finished"
    assert "video" in win.outputs["push"]
    qtbot.waitUntil(lambda: bool(win.bridge.item("push").frames), timeout=10_000)
    grab(win, "recipe_run.png")
