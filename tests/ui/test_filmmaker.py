"""Issue 15, tried as a filmmaker would: the preview follows the selection and every re-run, File >
New leaves nothing of the old file on screen, a picked still shows before any run, an edit dims
(not blanks) the last result, Ctrl+B bypasses, a stray node is skipped, the last file reopens."""

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.test_run import grab, states, wait_run


def test_preview_follows_selection_and_reruns_and_new_clears_it(win, demo, qtbot):
    assert win.open_path(demo)
    assert win.run_all()
    wait_run(win, qtbot)
    win.bridge.select(["shot"])
    assert win.preview.node_id == "shot" and "take_01" in win.preview.title.text()
    qtbot.waitUntil(lambda: len(win.preview.frames) > 1, timeout=20_000)
    first = win.preview.title.text()
    win.doc.set_param("shot", "seed", 5)  # an edit: the last result stays, dimmed and marked
    qtbot.waitUntil(lambda: win.preview.stale, timeout=10_000)
    assert "changed" in win.preview.title.text() and win.preview.frames
    assert (
        win.bridge.item("shot").state == "outdated" and win.bridge.item("shot").frames
    )  # thumbnail kept
    assert win.run_all()
    wait_run(win, qtbot)
    assert not win.preview.stale and win.preview.title.text() != first or "seed" not in first
    assert win.outputs["shot"]["video"].meta["seed"] == 5
    grab(win, "preview_after_rerun.png")
    win.doc.undo.setClean()
    win.new_workflow()
    assert (
        win.preview.node_id is None
        and win.preview.frames == []
        and "Select a node" in win.preview.title.text()
    )


def test_a_picked_still_shows_before_any_run(win, tmp_path, qtbot):
    from tests.ui.conftest import ROOT

    still = ROOT / "resources" / "media" / "astronaut.png"
    node = win.doc.add_node("reference_image", (0, 0))
    win.bridge.select([node])
    win.doc.set_param(node, "path", str(still))
    qtbot.waitUntil(lambda: len(win.bridge.item(node).frames) == 1, timeout=10_000)
    assert win.preview.node_id == node and "astronaut.png" in win.preview.title.text()
    qtbot.waitUntil(lambda: len(win.preview.frames) == 1, timeout=10_000)


def test_ctrl_b_bypasses_and_a_stray_node_is_skipped(win, demo, qtbot):
    assert win.open_path(demo)
    stray = win.doc.add_node("load_audio", (0, 600))  # empty and unconnected: never fails the run
    win.bridge.select(["camera"])
    win.bridge.viewer.setFocus()
    QTest.keyClick(win.bridge.viewer, Qt.Key_B, Qt.ControlModifier)
    assert win.doc.wf.node("camera").mode == "bypass"
    assert win.bridge.item("camera").opacity() < 1 and win.bridge.item("camera").mode == "bypass"
    assert win.doc.undo.undoText().startswith("Bypass")
    assert win.run_all()
    wait_run(win, qtbot)
    s = states(win)
    assert s[stray] == "idle" and s["camera"] == "idle" and s["export"] == "finished"
    assert "Run finished" in win.status_label.text()
    grab(win, "bypass_and_stray.png")
    QTest.keyClick(win.bridge.viewer, Qt.Key_B, Qt.ControlModifier)
    assert win.doc.wf.node("camera").mode is None


def test_the_last_file_reopens_and_a_template_opens_as_an_untitled_copy(win, demo, tmp_path):
    from app.launch import DEMO, last_or_demo
    from app.ui.session import add_recent

    assert last_or_demo() == str(DEMO)
    add_recent(demo)
    assert Path(last_or_demo()) == demo.resolve()
    win.new_from_template(DEMO)
    assert win.doc.path is None and "(from template)" in win.doc.title()
    assert not str(win.out_dir()).startswith(str(DEMO.parent.parent))


def test_the_layout_is_remembered_and_properties_has_room(win, qtbot):
    win.show()
    qtbot.waitExposed(win)
    assert (
        win._props_dock.height() > win._preview_dock.height()
    )  # a node's fields in view by default
    win._log_dock.hide()  # the user closed the log: it stays closed next time
    win.save_layout()
    win._log_dock.show()
    assert win.restore_layout()
    assert not win._log_dock.isVisible()


def test_a_motion_brush_and_a_sound_show_what_they_hold_before_any_run(win, tmp_path, qtbot):
    import numpy as np

    from app.media.masks import encode_mask
    from tests.ui.conftest import ROOT
    from tests.ui.test_editors import shot

    d = win.doc
    still = d.add_node(
        "reference_image", (0, 0), {"path": str(ROOT / "resources" / "media" / "coffee.png")}
    )
    brush = d.add_node("motion_brush", (350, 0))
    d.connect((still, "image"), (brush, "image"))
    region = np.zeros((400, 600), np.uint8)
    region[50:200, 100:300] = 255
    d.set_param(
        brush,
        "regions",
        [{"name": "steam", "mask": encode_mask(region), "trajectory": [[150, 150], [250, 80]]}],
    )

    def colours():
        frames = win.bridge.item(brush).frames
        if not frames:
            return None
        img = frames[0].toImage()
        return (
            img.pixelColor(int(img.width() * 200 / 600), int(img.height() * 170 / 400)),
            img.pixelColor(int(img.width() * 500 / 600), int(img.height() * 350 / 400)),
        )

    # tinted with the region's colour where it is painted; the rest is the still
    qtbot.waitUntil(
        lambda: colours() is not None and colours()[0].blue() > colours()[0].red(), timeout=10_000
    )
    assert colours()[1].red() > colours()[1].blue()
    audio = d.add_node(
        "load_audio", (0, 300), {"path": str(ROOT / "resources" / "media" / "speech_en.wav")}
    )
    qtbot.waitUntil(lambda: len(win.bridge.item(audio).frames) == 1, timeout=10_000)
    wave = win.bridge.item(audio).frames[0].toImage()
    heights = [
        sum(wave.pixelColor(x, y).blue() > 150 for y in range(wave.height()))
        for x in range(0, wave.width(), 8)
    ]
    assert (
        max(heights) > wave.height() * 0.5 and min(heights) < max(heights) / 2
    )  # loud and quiet parts
    win.bridge.frame_all()
    shot(win, "motion_brush_and_sound_thumbnails.png")


def test_undo_says_what_was_edited_in_words(win):
    node = win.doc.add_node("generator", (0, 0))
    win.doc.set_param(node, "selected_take", 1)
    win.doc.set_param(node, "takes", 3)
    win.doc.set_param(node, "selected_take", 2)
    assert win.doc.undo.undoText() == "generator: selected take"
    assert win.act_undo.text() == "&Undo generator: selected take"
