"""Running from the editor: the UI stays live, nodes show their states and previews, Stop
cancels work in progress, Run selected runs only what is needed, previews come back from the
cache after reopening, and screenshots of the window before and after a run."""

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer

from tests.ui.conftest import ROOT

SHOTS = Path(os.environ.get("REELGRAPH_SCREENSHOTS", ROOT / ".pytest_cache" / "screenshots"))


def wait_run(win, qtbot, timeout=120_000):
    qtbot.waitUntil(lambda: not win.runner.running(), timeout=timeout)
    qtbot.wait(50)  # the last queued events reach the window


def states(win):
    return {i: win.bridge.item(i).state for i in win.bridge.nodes}


def test_run_demo_shows_states_and_thumbnails(win, demo, qtbot):
    assert win.open_path(demo)
    before = grab(win, "main_before_run.png")
    assert win.run_all()
    wait_run(win, qtbot)
    assert states(win) == {
        "prompt": "finished",
        "still": "finished",
        "camera": "finished",
        "shot": "finished",
        "export": "finished",
    }
    assert (
        "Run finished" in win.status_label.text() and "demo_coffee.mp4" in win.status_label.text()
    )
    assert (demo.parent / "renders" / "demo_coffee.mp4").exists()
    win.thumbs.wait()
    qtbot.waitUntil(lambda: len(win.bridge.item("shot").frames) > 1, timeout=10_000)
    assert len(win.bridge.item("still").frames) == 1
    # the thumbnail is the shot's picture: warm coffee tones, not an empty box
    img = win.bridge.item("shot").frames[0].toImage()
    px = np.array(
        [
            [img.pixelColor(x, y).red() for x in range(0, img.width(), 7)]
            for y in range(0, img.height(), 7)
        ]
    )
    assert px.mean() > 60
    after = grab(win, "main_after_run.png")
    assert after.shape == before.shape and np.abs(after.astype(int) - before.astype(int)).mean() > 1


def test_ui_keeps_turning_during_a_long_run(win, qtbot):
    d = win.doc
    d.add_node("t_sleep", (0, 0), {"seconds": 2.0})
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    t0 = time.monotonic()
    assert win.run_all()
    wait_run(win, qtbot)
    timer.stop()
    assert time.monotonic() - t0 >= 2.0
    assert len(ticks) > 40  # ~100 possible in 2 s: the event loop never stalled
    gaps = np.diff(ticks)
    assert gaps.max() < 0.5
    assert states(win)["t_sleep"] == "finished"


def test_stop_cancels_work_in_progress(win, qtbot):
    d = win.doc
    d.add_node("t_sleep", (0, 0), {"seconds": 30.0})
    assert win.run_all()
    qtbot.waitUntil(lambda: win.bridge.item("t_sleep").state == "running", timeout=10_000)
    item = win.bridge.item("t_sleep")
    qtbot.waitUntil(lambda: (item.progress or 0) > 0, timeout=10_000)
    t0 = time.monotonic()
    win.act_stop.trigger()
    wait_run(win, qtbot, 10_000)
    assert time.monotonic() - t0 < 5
    assert states(win)["t_sleep"] == "cancelled"
    assert "stopped" in win.status_label.text().lower() and win.act_run.isEnabled()


def test_run_selected_runs_only_what_it_needs(win, qtbot):
    d = win.doc
    d.add_node("t_const", (0, 0), {"value": "a"})
    d.add_node("t_sleep", (300, 0), {"seconds": 0.05})
    d.add_node("t_const", (0, 300), {"value": "b"})  # t_const_2: not needed by t_sleep
    d.connect(("t_const", "out"), ("t_sleep", "inp"))
    win.bridge.select(["t_sleep"])
    assert win.run_selected()
    wait_run(win, qtbot)
    s = states(win)
    assert s["t_const"] == "finished" and s["t_sleep"] == "finished" and s["t_const_2"] is None
    # run to here from the context menu's action
    assert win.run_to("t_const_2")
    wait_run(win, qtbot)
    assert states(win)["t_const_2"] == "finished"


def test_failure_is_red_with_the_error(win, qtbot):
    win.doc.add_node("t_fail", (0, 0), {"message": "the gremlins"})
    win.run_all()
    wait_run(win, qtbot)
    item = win.bridge.item("t_fail")
    assert item.state == "failed" and "the gremlins" in item.toolTip()
    assert "the gremlins" in win.log.toPlainText()
    assert "Run failed" in win.status_label.text()


def test_a_run_that_cannot_start_says_why_on_the_node(win, qtbot):
    win.doc.add_node("export", (0, 0))  # required input not connected
    win.run_all()
    wait_run(win, qtbot)
    assert win.bridge.item("export").state == "failed"
    assert (
        "Cannot run yet" in win.status_label.text() and "required input" in win.status_label.text()
    )


def test_previews_come_back_from_the_cache_and_survive_undo(win, demo, qtbot, registry, cache):
    win.open_path(demo)
    win.run_all()
    wait_run(win, qtbot)
    from app.ui.main_window import MainWindow

    other = MainWindow(registry=registry, cache=cache)
    qtbot.addWidget(other)
    other.ask_save = lambda: "discard"  # closing it at the end never waits on a dialog
    other.open_path(demo)
    qtbot.waitUntil(lambda: len(other.bridge.item("shot").frames) > 1, timeout=10_000)
    assert other.bridge.item("shot").state == "cached"
    # change the shot: its preview is outdated (the last picture kept, dimmed); undo: current again
    other.doc.set_param("shot", "seed", 99)
    qtbot.waitUntil(lambda: other.bridge.item("shot").state == "outdated", timeout=5_000)
    assert other.bridge.item("shot").frames and other.bridge.item("prompt").state == "cached"
    assert "shot" not in other.outputs
    other.doc.undo.undo()
    qtbot.waitUntil(
        lambda: (
            other.bridge.item("shot").state == "cached"
            and len(other.bridge.item("shot").frames) > 1
        ),
        timeout=10_000,
    )


def test_double_click_previews_the_output_playing(win, demo, qtbot):
    win.open_path(demo)
    win.run_all()
    wait_run(win, qtbot)
    win.bridge.node_activated.emit("shot")
    qtbot.waitUntil(lambda: len(win.preview.frames) == 24, timeout=10_000)  # 1 s at 24 fps
    assert win.preview.playing() and win.preview.controls.isVisible()
    first = win.preview.index
    qtbot.wait(200)
    assert win.preview.index != first  # it plays
    win.preview.slider.setValue(10)
    assert win.preview.index == 10


def grab(win, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    win.repaint()
    img = win.grab().toImage()
    img.save(str(SHOTS / name))
    ptr = img.convertToFormat(img.Format.Format_RGB888)
    arr = np.frombuffer(ptr.constBits(), np.uint8).reshape(ptr.height(), ptr.bytesPerLine())
    return arr[:, : ptr.width() * 3].copy()


def test_the_preview_has_the_viewers_transport(win, demo, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    win.open_path(demo)
    win.run_all()
    wait_run(win, qtbot)
    win.bridge.node_activated.emit("shot")
    p = win.preview
    qtbot.waitUntil(lambda: len(p.frames) == 24, timeout=10_000)
    p.setFocus()
    QTest.keyClick(p, Qt.Key_K)
    assert not p.playing()
    p._show(4)
    QTest.keyClick(p, Qt.Key_I)
    p._show(8)
    QTest.keyClick(p, Qt.Key_O)
    QTest.keyClick(p, Qt.Key_Left)
    assert p.index == 7 and "[5-9]" in p.counter.text()
    QTest.keyClick(p, Qt.Key_J)  # backward, round the loop
    seen = set()
    for _ in range(30):
        qtbot.wait(20)
        seen.add(p.index)
    assert seen <= set(range(4, 9)) and len(seen) >= 3 and p.speed == -1.0
    QTest.keyClick(p, Qt.Key_L)
    QTest.keyClick(p, Qt.Key_L)
    assert p.speed == 2.0 and "2x" in p.counter.text()
    QTest.keyClick(p, Qt.Key_F)
    assert p.fullscreen and p.isWindow()
    QTest.keyClick(p, Qt.Key_Escape)
    assert not p.fullscreen and win._preview_dock.widget() is p
