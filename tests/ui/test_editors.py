"""The motion brush, camera path and lip-sync editors driven with real mouse events; what they
write into the node params; their previews; screenshots of each with content."""

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.media.masks import decode_mask
from tests.ui.conftest import ROOT
from tests.ui.test_run import SHOTS

MEDIA = ROOT / "resources" / "media"


@pytest.fixture
def brush_doc(win, tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    d = win.doc
    d.add_node("reference_image", (0, 0), {"path": str(tmp_path / "coffee.png")})
    d.add_node("motion_brush", (350, 0))
    d.add_node("generator", (700, 0), {"duration": 1, "fps": 12, "width": 320, "height": 212})
    d.add_node("prompt", (350, 300))
    d.connect(("reference_image", "image"), ("motion_brush", "image"))
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("motion_brush", "motion"), ("generator", "motion"))
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    return d


def open_from_panel(win, qtbot, node_id):
    win.bridge.select([node_id])
    btn = win.props.findChild(object, "open_editor")
    assert btn is not None
    btn.click()
    qtbot.waitUntil(
        lambda: win.open_editor is not None and win.open_editor.isVisible(), timeout=20_000
    )
    return win.open_editor


def at(view, x, y) -> QPoint:
    """Viewport point over image pixel (x, y)."""
    return view.mapFromScene(QPointF(x, y))


def stroke(view, pts, button=Qt.LeftButton):
    vp = view.viewport()
    QTest.mousePress(vp, button, Qt.NoModifier, at(view, *pts[0]))
    for a, b in zip(pts, pts[1:], strict=False):
        for k in range(1, 5):
            QTest.mouseMove(
                vp, at(view, a[0] + (b[0] - a[0]) * k / 4, a[1] + (b[1] - a[1]) * k / 4)
            )
    QTest.mouseRelease(vp, button, Qt.NoModifier, at(view, *pts[-1]))


def click(view, x, y, button=Qt.LeftButton):
    QTest.mouseClick(view.viewport(), button, Qt.NoModifier, at(view, x, y))


def test_motion_brush_paint_path_erase_undo_apply(win, brush_doc, qtbot):
    ed = open_from_panel(win, qtbot, "motion_brush")
    assert (ed.w, ed.h) == (600, 400)  # the coffee still, computed through the engine
    ed.view.set_zoom(1.7)
    ed.view.centerOn(150, 150)
    ed.hard_slider.setValue(100)
    ed.set_size(12)
    stroke(ed.view, [(60, 150), (220, 150)])  # on the freeze layer
    static = ed.layers[0].mask
    assert (
        static[150, 140] == 255
        and static[150, 60] == 255
        and static[150, 236] == 0
        and static[100, 140] == 0
    )
    # a motion region with a path, drawn at another zoom: points are image pixels all the same
    ed.add_region()
    ed.view.set_zoom(0.6)
    ed.set_size(30)
    stroke(ed.view, [(300, 60), (380, 60), (380, 120)])
    assert ed.layers[1].mask[60, 340] == 255
    ed.set_tool("path")
    for x, y in [(300, 90), (350, 80), (400, 95)]:
        click(ed.view, x, y)
    traj = np.array(ed.layers[1].trajectory)
    assert traj.shape == (3, 2) and np.abs(traj - [[300, 90], [350, 80], [400, 95]]).max() <= 1.5
    # drag the middle point, then delete the last with a right click
    ed.view.set_zoom(2.0)
    ed.view.centerOn(350, 80)
    stroke(ed.view, [(350, 80), (355, 70)])
    assert np.abs(np.array(ed.layers[1].trajectory[1]) - [355, 70]).max() <= 1.5
    click(ed.view, 400, 95, Qt.RightButton)
    assert len(ed.layers[1].trajectory) == 2
    ed.undo.undo()
    assert len(ed.layers[1].trajectory) == 3
    # erase part of the freeze stroke, then undo the erase
    ed.list.setCurrentRow(0)
    ed.set_tool("eraser")
    ed.view.set_zoom(1.0)
    stroke(ed.view, [(100, 150), (130, 150)])
    assert static[150, 115] == 0 and static[150, 180] == 255
    ed.undo.undo()
    assert static[150, 115] == 255
    shot(ed, "motion_brush_editor.png")
    before = dict(win.doc.wf.node("motion_brush").params)
    assert ed.apply()
    p = win.doc.wf.node("motion_brush").params
    sm = decode_mask(p["static_mask"])
    assert (
        sm.shape == (400, 600) and sm[150, 140] == 255 and sm[150, 115] == 255 and sm[20, 20] == 0
    )
    [region] = p["regions"]
    assert decode_mask(region["mask"])[60, 340] == 255 and len(region["trajectory"]) == 3
    assert win.doc.undo.undoText() == "edit motion brush"
    win.doc.undo.undo()  # one graph step takes the whole edit back
    assert win.doc.wf.node("motion_brush").params == before


def test_motion_brush_preview_plays_frames(win, brush_doc, qtbot):
    ed = open_from_panel(win, qtbot, "motion_brush")
    ed.add_region()
    ed.set_size(40)
    stroke(ed.view, [(60, 60), (200, 60)])
    ed.set_tool("path")
    click(ed.view, 80, 100)
    click(ed.view, 200, 100)
    ed.run_preview()
    qtbot.waitUntil(
        lambda: len(ed.preview.frames) == 12, timeout=20_000
    )  # 1 s at 12 fps, from the generator
    a = ed.preview.frames[0].toImage()
    b = ed.preview.frames[-1].toImage()
    assert a.size() == b.size() and a != b  # it moves
    assert ed.last_preview_seconds < 10
    shot(ed, "motion_brush_preview.png")


def test_apply_refuses_a_region_without_a_path(win, brush_doc, qtbot, monkeypatch):
    ed = open_from_panel(win, qtbot, "motion_brush")
    ed.add_region()
    stroke(ed.view, [(60, 60), (100, 60)])
    warned = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", lambda *a: warned.append(a[2]))
    assert not ed.apply()
    assert "needs a path" in warned[0]
    assert win.doc.wf.node("motion_brush").params == {}


@pytest.fixture
def camera_doc(win, tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    d = win.doc
    d.add_node("reference_image", (0, 0), {"path": str(tmp_path / "coffee.png")})
    d.add_node("camera_path", (0, 300), {"preset": "zoom_in"})
    d.add_node("generator", (400, 0), {"duration": 2, "fps": 12, "width": 320, "height": 180})
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("camera_path", "camera"), ("generator", "camera"))
    return d


def test_camera_editor_drag_keyframe_framing_and_apply(win, camera_doc, qtbot):
    ed = open_from_panel(win, qtbot, "camera_path")
    assert [k["zoom"] for k in ed.keys] == [1.0, pytest.approx(1.35, abs=0.2)]
    assert ed.duration == 2.0 and ed.out_size == (320, 180)
    qtbot.wait(100)
    plot = ed.plot_items["zoom"]
    target = ed.targets["zoom"][1]
    vb = plot.getViewBox()
    vp = ed.plots.viewport()

    def view_pt(x, y):
        return ed.plots.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    start = view_pt(target.pos().x(), target.pos().y())
    lo, hi = vb.viewRange()[1]
    goal_value = lo + (hi - lo) * 0.85
    end = view_pt(target.pos().x() - 0.6, goal_value)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    for k in range(1, 9):
        QTest.mouseMove(vp, start + (end - start) * k / 8)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, end)
    k1 = ed.keys[1]
    assert k1["zoom"] == pytest.approx(goal_value, abs=(hi - lo) * 0.05)
    assert k1["t"] == pytest.approx((2.0 - 0.6) / 2.0, abs=0.03)
    assert ed.undo.count() == 1
    # the framing at the playhead is the path's own homography of the output corners
    ed.set_playhead(1.0)
    path = ed.path()
    M = path.homography(1.0, (320, 180), (600, 400), path.overscan((320, 180), (600, 400)) or 1.0)
    corners = M @ np.array([[0, 0, 1], [319, 0, 1], [319, 179, 1], [0, 179, 1]], float).T
    poly = ed.framing.polygon()
    got = np.array([[poly[i].x(), poly[i].y()] for i in range(4)])
    assert np.abs(got - (corners[:2] / corners[2]).T).max() < 1e-3
    end_frame = ed.last_live.copy()
    ed.set_playhead(0.0)
    assert (
        np.abs(ed.last_live.astype(int) - end_frame.astype(int)).mean() > 3
    )  # the live render moves
    shot(ed, "camera_editor.png")
    assert ed.apply()
    p = win.doc.wf.node("camera_path").params
    assert p["preset"] == "custom" and p["keyframes"][1]["zoom"] == pytest.approx(k1["zoom"])
    win.doc.undo.undo()
    assert win.doc.wf.node("camera_path").params == {"preset": "zoom_in"}


def test_camera_editor_keys_ease_and_presets(win, camera_doc, qtbot):
    ed = open_from_panel(win, qtbot, "camera_path")
    ed.set_playhead(0.5)
    ed.add_key()
    assert len(ed.keys) == 3 and ed.keys[1]["t"] == 0.5
    ed.set_ease("hold")
    assert ed.keys[1]["ease"] == "hold"
    ed.use_preset("arc_left", 2.0)
    assert ed.keys != [] and any(k["pan"] or k["truck"] for k in ed.keys)
    ed.undo.undo()
    assert ed.keys[1]["ease"] == "hold"
    ed.reject()
    assert win.doc.wf.node("camera_path").params == {"preset": "zoom_in"}  # Cancel discards


def test_lipsync_editor_shows_waveform_and_sets_the_box(win, tmp_path, qtbot):
    shutil.copy(MEDIA / "astronaut.png", tmp_path / "astronaut.png")
    shutil.copy(MEDIA / "speech_en.wav", tmp_path / "speech.wav")
    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("reference_image", (0, 200), {"path": str(tmp_path / "astronaut.png")})
    d.add_node("generator", (350, 0), {"duration": 1, "fps": 12, "width": 256, "height": 256})
    d.add_node("load_audio", (350, 300), {"path": str(tmp_path / "speech.wav")})
    d.add_node("lip_sync", (700, 0))
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("generator", "video"), ("lip_sync", "video"))
    d.connect(("load_audio", "audio"), ("lip_sync", "audio"))
    ed = open_from_panel(win, qtbot, "lip_sync")
    assert ed.env.size > 10 and ed.env.max() > 0.5  # the speech opens the mouth
    x, y, w, h = ed.box()
    assert 0 <= x < 256 and 0 <= y < 256 and w > 4
    ed.roi.setPos((40, 150))
    ed.roi.setSize((60, 30))
    shot(ed, "lipsync_editor.png")
    assert ed.apply()
    assert win.doc.wf.node("lip_sync").params["mouth_box"] == [40, 150, 60, 30]


def shot(widget, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.repaint()
    widget.grab().save(str(SHOTS / name))


def test_fill_invert_clear_and_brush_size_keys(win, brush_doc, qtbot):
    ed = open_from_panel(win, qtbot, "motion_brush")
    ed.hard_slider.setValue(100)
    ed.set_size(4)
    stroke(ed.view, [(100, 100), (200, 100), (200, 200), (100, 200), (100, 100)])  # a closed ring
    m = ed.layers[0].mask
    assert m[150, 150] == 0
    ed.set_tool("fill")
    click(ed.view, 150, 150)
    assert m[150, 150] == 255 and m[300, 400] == 0  # inside the ring only
    ed.invert()
    assert m[150, 150] == 0 and m[300, 400] == 255
    ed.clear()
    assert not m.any()
    ed.undo.undo()
    ed.undo.undo()
    assert m[150, 150] == 255 and m[300, 400] == 0
    ed.view.setFocus()
    size = ed.size
    QTest.keyClick(ed.view, Qt.Key_BracketRight)
    assert ed.size > size
    QTest.keyClick(ed.view, Qt.Key_BracketLeft)
    QTest.keyClick(ed.view, Qt.Key_BracketLeft)
    assert ed.size < size
    r = ed.cursor_item.rect()
    assert abs(r.width() / 2 - ed.size) < 1e-6  # the round cursor shows the brush size


def test_framing_a_square_still_by_dragging_the_frame_and_an_aspect_preset(win, tmp_path, qtbot):
    """Issue 15 #1: the 512x512 astronaut was cut at the eyes by the centred 16:9 crop. Dragging the
    frame up in the camera editor sets the shot's start framing; the rendered first frame follows."""
    from app.media.video import read_frame

    shutil.copy(MEDIA / "astronaut.png", tmp_path / "astronaut.png")
    d = win.doc
    d.add_node("reference_image", (0, 0), {"path": str(tmp_path / "astronaut.png")})
    d.add_node("camera_path", (0, 300), {"preset": "zoom_in"})
    d.add_node("generator", (400, 0), {"duration": 1, "fps": 12, "width": 320, "height": 180})
    d.add_node("prompt", (0, 500))
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("camera_path", "camera"), ("generator", "camera"))
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    ed = open_from_panel(win, qtbot, "camera_path")
    assert ed.preset_box.currentText() == "zoom_in"  # the editor says what the node says
    qtbot.wait(100)
    ed.ref_view.fit()
    before = ed.framing.polygon().boundingRect()
    src = ed.frame.shape[1], ed.frame.shape[0]
    stroke(
        ed.ref_view, [(src[0] / 2, src[1] / 2), (src[0] / 2, src[1] / 2 - 400)]
    )  # drag the frame up, hard
    after = ed.framing.polygon().boundingRect()
    assert (
        after.top() < before.top() - 50 and abs(after.top()) < 2
    )  # up to the top edge, never past it
    assert ed.framing_value.y == 0.0 or ed.framing_value.y < 0.45
    shot(ed, "camera_editor_framing.png")
    ed.aspect_buttons["9:16"].click()
    assert ed.out_size == (180, 320)
    ed.undo.undo()  # framing changes undo inside the editor too
    assert ed.out_size == (320, 180)
    moved = ed.framing_value
    ed.undo.undo()
    assert ed.framing_value.y == 0.5 and ed.undo.canRedo()
    ed.undo.redo()
    assert ed.framing_value == moved
    ed.aspect_buttons["9:16"].click()
    ed.aspect_buttons["16:9"].click()
    assert ed.out_size == (320, 180)
    assert ed.apply()
    g = win.doc.wf.node("generator").params
    assert g["frame_y"] < 0.45 and (g["width"], g["height"]) == (320, 180)
    assert win.doc.wf.node("camera_path").params == {
        "preset": "zoom_in"
    }  # the path itself untouched
    # the rendered first frame shows the top of the still: its top rows match the still's top rows
    result = win.runner.executor.run(
        d.wf, base_dir=tmp_path, out_dir=tmp_path / "renders", targets=["generator"]
    )
    assert result.status == "ok", result.errors
    first = read_frame(result.outputs["generator"]["video"].path, 0).astype(float)
    import cv2

    still = cv2.imread(str(tmp_path / "astronaut.png")).astype(float)
    top = cv2.resize(still[: 512 * 9 // 16], (320, 180), interpolation=cv2.INTER_AREA)
    middle = cv2.resize(still[112 : 112 + 288], (320, 180), interpolation=cv2.INTER_AREA)
    assert np.abs(first - top).mean() < np.abs(first - middle).mean() - 5
    win.doc.undo.undo()
    assert "frame_y" not in win.doc.wf.node("generator").params


def test_brush_editor_dims_what_the_shot_never_shows_and_keys_work_after_add_region(
    win, tmp_path, qtbot
):
    shutil.copy(MEDIA / "astronaut.png", tmp_path / "astronaut.png")
    d = win.doc
    d.add_node("reference_image", (0, 0), {"path": str(tmp_path / "astronaut.png")})
    d.add_node("motion_brush", (350, 0))
    d.add_node(
        "generator",
        (700, 0),
        {"duration": 1, "fps": 12, "width": 320, "height": 180, "frame_y": 0.0},
    )
    d.connect(("reference_image", "image"), ("motion_brush", "image"))
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("motion_brush", "motion"), ("generator", "motion"))
    ed = open_from_panel(win, qtbot, "motion_brush")
    x, y, w, h = ed.frame_rect
    assert (round(x), round(y), round(w), round(h)) == (
        0,
        0,
        512,
        288,
    )  # the top 16:9 band of the square
    dimmed = ed.outside_item.path()
    assert dimmed.contains(QPointF(256, 400)) and not dimmed.contains(QPointF(256, 100))
    from PySide6.QtWidgets import QPushButton

    add = ed.findChild(QPushButton, "add_region")
    QApplication.setActiveWindow(ed)
    count = len(ed.layers)
    qtbot.mouseClick(add, Qt.LeftButton)
    assert len(ed.layers) == count + 1
    size = ed.size
    QTest.keyClick(QApplication.focusWidget() or add, Qt.Key_BracketRight)
    assert ed.size > size
    ed.set_tool("path")
    assert "path" in ed.status.text().lower() and "paint" not in ed.status.text().lower()
    shot(ed, "motion_brush_framed.png")
    ed.reject()
