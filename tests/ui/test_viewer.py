"""The viewer: frame-locked playback, wipe and difference pixels, time-based sync of clips of
different lengths and rates, "Use this take", the focused tile's audio, screenshots."""

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.core.ports import PortType
from app.core.values import Value
from app.ui.viewer import Source
from tests.media.helpers import write_video
from tests.ui.conftest import ROOT
from tests.ui.test_run import SHOTS, wait_run


def solid(path, colour, frames=12, fps=12, size=(160, 90), audio=False):
    w, h = size
    clip = [np.full((h, w, 3), colour, np.uint8) for _ in range(frames)]
    kw = {}
    if audio:
        t = np.arange(int(frames / fps * 16000)) / 16000
        kw = {"audio": 0.3 * np.sin(2 * np.pi * 330 * t), "rate": 16000}
    return write_video(path, clip, fps=fps, **kw)


def src(path, name):
    return Source(Value(PortType.VIDEO, path), name, [name])


def grab(win):
    img = (
        win.viewer.canvas.grab()
        .toImage()
        .convertToFormat(__import__("PySide6.QtGui", fromlist=["QImage"]).QImage.Format_RGB888)
    )
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    return arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3).copy()


@pytest.fixture
def takes(win, tmp_path, qtbot):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "coffee.png")
    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("reference_image", (0, 200), {"path": str(tmp_path / "coffee.png")})
    d.add_node("camera_path", (0, 400), {"preset": "arc_left", "intensity": 2.0})
    d.add_node(
        "generator", (350, 0), {"duration": 1, "fps": 12, "width": 320, "height": 180, "takes": 4}
    )
    d.add_node("last_frame", (700, 0))
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    d.connect(("reference_image", "image"), ("generator", "image"))
    d.connect(("camera_path", "camera"), ("generator", "camera"))
    d.connect(("generator", "video"), ("last_frame", "video"))
    win.run_all()
    wait_run(win, qtbot)
    win.compare_takes("generator")
    assert len(win.viewer.sources) == 4 and win.viewer.wait_decoded(30)
    return win.viewer


def test_grid_of_takes_stays_frame_locked(win, takes, qtbot):
    v = takes
    assert [s.take for s in v.sources] == [1, 2, 3, 4]
    assert "take 3/4" in v.sources[2].lines[0] and "local/still-motion" in v.sources[2].lines[1]
    assert "320x180" in v.sources[2].lines[2] and "free (local)" in v.sources[2].lines[2]
    v.play()
    qtbot.wait(400)
    v.pause()
    idx = v.tile_indices()
    assert len(set(idx)) == 1 and idx[0] > 0
    v.seek(0.5)
    assert v.tile_indices() == [6, 6, 6, 6]
    v.canvas.setFocus()
    QTest.keyClick(v.canvas, Qt.Key_Right)
    assert v.tile_indices() == [7, 7, 7, 7] and v.scrub.value() == 7
    QTest.keyClick(v.canvas, Qt.Key_Left)
    QTest.keyClick(v.canvas, Qt.Key_Left)
    assert v.tile_indices() == [5, 5, 5, 5]
    QTest.keyClick(v.canvas, Qt.Key_End)
    assert v.tile_indices() == [11, 11, 11, 11] and "frame 12/12" in v.time_label.text()
    # the takes differ from each other (seeded variations of the move)
    frames = [s.clip.frame(11) for s in v.sources]
    assert np.abs(frames[0].astype(int) - frames[3].astype(int)).mean() > 1
    v.canvas.repaint()
    SHOTS.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(SHOTS / "viewer_takes_grid.png"))


def test_use_this_take_reruns_only_what_depends_on_it(win, takes, qtbot):
    v = takes
    v.canvas.repaint()
    rect = v.canvas.button_rect(v.canvas.tile_rects()[2])
    QTest.mouseClick(v.canvas, Qt.LeftButton, Qt.NoModifier, rect.center())
    assert win.doc.wf.node("generator").params["selected_take"] == 3
    wait_run(win, qtbot)
    s = {n: win.bridge.item(n).state for n in ("prompt", "generator", "last_frame")}
    assert s == {
        "prompt": "cached",
        "generator": "cached",
        "last_frame": "finished",
    }  # no take re-made
    assert win.outputs["generator"]["video"].meta["take"] == 3
    win.doc.undo.undo()
    assert win.doc.wf.node("generator").params.get("selected_take", 1) == 1


def test_wipe_shows_a_left_of_the_divider_and_b_right(win, tmp_path, qtbot):
    v = win.viewer
    win._show_viewer()
    v.set_sources(
        [
            src(solid(tmp_path / "red.mp4", (0, 0, 230)), "red"),
            src(solid(tmp_path / "blue.mp4", (230, 0, 0)), "blue"),
        ]
    )
    assert v.wait_decoded(10)
    v.set_mode("wipe")
    v.set_wipe(0.3)
    v.canvas.resize(640, 360)
    img = grab(win)
    tile = v.canvas.tile_rects()[0]
    target = v.canvas.image_rect(tile, 160, 90)
    y = int(target.center().y()) + 20
    d = int(v.canvas.divider_x(tile))
    left, right = img[y, d - 15], img[y, d + 15]
    assert left[0] > 180 and left[2] < 60  # red (RGB) left of the divider
    assert right[2] > 180 and right[0] < 60  # blue right of it
    # dragging the divider moves it
    QTest.mousePress(v.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(d, y))
    QTest.mouseMove(v.canvas, QPoint(int(tile.left() + tile.width() * 0.7), y))
    QTest.mouseRelease(
        v.canvas, Qt.LeftButton, Qt.NoModifier, QPoint(int(tile.left() + tile.width() * 0.7), y)
    )
    assert v.wipe == pytest.approx(0.7, abs=0.02)
    img = grab(win)
    assert img[y, int(tile.left() + tile.width() * 0.6)][0] > 180  # now red there
    v.set_wipe_dir("vertical")
    img = grab(win)
    dy = int(v.canvas.divider_x(tile))
    assert (
        img[dy - 10, int(target.center().x())][0] > 180
        and img[dy + 10, int(target.center().x())][2] > 180
    )


def test_wipe_screenshot_between_takes(win, takes):
    takes.set_mode("wipe")
    takes._set_pair(0, 3)
    takes.seek(1.0)
    takes.canvas.repaint()
    win.grab().save(str(SHOTS / "viewer_wipe.png"))


def test_difference_is_black_for_identical_sources(win, tmp_path):
    v = win.viewer
    win._show_viewer()
    clip = solid(tmp_path / "a.mp4", (40, 160, 90))
    v.set_sources([src(clip, "a"), src(clip, "a again")])
    assert v.wait_decoded(10)
    v.set_mode("difference")
    v.canvas.resize(640, 360)
    img = grab(win)
    tile = v.canvas.tile_rects()[0]
    r = v.canvas.image_rect(tile, 160, 90).toRect().adjusted(2, 60, -2, -2)  # below the label
    assert img[r.top() : r.bottom(), r.left() : r.right()].max() < 3
    v.set_sources([src(clip, "a"), src(solid(tmp_path / "b.mp4", (40, 100, 90)), "b")])
    assert v.wait_decoded(10)
    v.set_mode("difference")
    img = grab(win)
    assert img[r.top() : r.bottom(), r.left() : r.right()].mean() > 15  # 60 levels of green apart


def test_clips_of_different_lengths_and_rates_sync_by_time(win, tmp_path):
    v = win.viewer
    v.set_sources(
        [
            src(solid(tmp_path / "a.mp4", (0, 0, 200), frames=12, fps=12), "1 s at 12 fps"),
            src(solid(tmp_path / "b.mp4", (0, 200, 0), frames=12, fps=24), "0.5 s at 24 fps"),
        ]
    )
    assert v.wait_decoded(10)
    assert v.master_fps() == 24 and v.duration() == pytest.approx(1.0)
    v.seek(0.25)
    assert v.tile_indices() == [3, 6]
    v.seek(0.75)
    assert v.tile_indices() == [9, 11]  # the shorter clip holds its last frame


def test_focused_tile_audio(win, tmp_path):
    v = win.viewer
    talking = solid(tmp_path / "talk.mkv", (90, 90, 90), audio=True)
    v.set_sources(
        [src(solid(tmp_path / "quiet.mp4", (0, 0, 200)), "quiet"), src(talking, "talking")]
    )
    assert v.audio_source() is None  # tile 1 has no sound
    v.set_focus(1)
    assert v.audio_source() == talking
    v.mute_box.setChecked(True)
    assert v._audio_out.isMuted()


def test_earlier_runs_can_be_pinned_next_to_the_new_one(win, takes, qtbot):
    win.doc.set_param(
        "camera_path", "intensity", 0.5
    )  # a gentler move, then compare with the first
    win.run_all()
    wait_run(win, qtbot)
    earlier = win.history_sources("generator")
    assert len(earlier) == 1 and earlier[0][0].startswith("run at ")
    win.view_outputs(["generator"], extra=[earlier[0][1]])
    v = win.viewer
    assert len(v.sources) == 2 and "(run at " in v.sources[1].lines[0]
    assert v.wait_decoded(10)
    a, b = (s.clip.frame(11) for s in v.sources)
    assert np.abs(a.astype(int) - b.astype(int)).mean() > 0.5  # the earlier, wider move


def test_every_tile_shows_its_picture_before_play(win, takes, qtbot):
    """Issue 15 #3: takes 2 and 3 sat on "decoding..." until Play. The tiles repaint as frames come."""
    v = takes
    assert not v.playing
    qtbot.waitUntil(lambda: v.canvas.painted_decoded, timeout=10_000)
    assert not v._decode_timer.isActive()
    labels = [s.lines[1] for s in v.sources]
    assert [f"seed {n}" in line for n, line in zip(range(4), labels, strict=True)] == [
        True
    ] * 4  # each its own


def test_jkl_shuttle_frame_step_and_an_in_out_loop(win, takes, qtbot):
    v = takes
    v.canvas.setFocus()
    v.seek(0.25)  # frame 4 of 12
    QTest.keyClick(v.canvas, Qt.Key_I)
    v.seek(0.5)
    QTest.keyClick(v.canvas, Qt.Key_O)
    assert (
        v.in_t == pytest.approx(3 / 12)
        and v.out_t == pytest.approx(6 / 12)
        and "loop 4-7" in v.time_label.text()
    )
    QTest.keyClick(v.canvas, Qt.Key_L)
    assert v.playing and v.speed == 1.0
    QTest.keyClick(v.canvas, Qt.Key_L)
    assert v.speed == 2.0
    seen = set()
    for _ in range(40):
        qtbot.wait(25)
        seen.add((v.frame_index(), round(v.t, 3)))
    assert {f for f, _ in seen} <= {3, 4, 5, 6} and len(
        {f for f, _ in seen}
    ) >= 3  # round the loop, never outside it
    QTest.keyClick(v.canvas, Qt.Key_J)
    assert v.speed == -1.0 and v.playing
    qtbot.wait(300)
    assert 3 <= v.frame_index() <= 6
    QTest.keyClick(v.canvas, Qt.Key_K)
    assert not v.playing and v.speed == 1.0
    v.seek(0.25)
    QTest.keyClick(v.canvas, Qt.Key_Right)
    assert v.frame_index() == 4
    QTest.keyClick(v.canvas, Qt.Key_F)
    assert v.fullscreen and v.isWindow()
    QTest.keyClick(v.canvas, Qt.Key_Escape)
    assert not v.fullscreen and v.parentWidget() is not None and win._viewer_dock.widget() is v
