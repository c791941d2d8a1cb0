"""The Sequence view as a filmmaker uses it: the imported screenplay's shots in order with their
cards, reordered, a shot opened by double-click, the sequence rendered with a state per shot,
and the cut played in the viewer."""

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest

from app.core.registry import default_registry
from app.core.sequence import load_sequence
from app.film.importer import import_screenplay
from tests.ui.test_run import grab

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def film(tmp_path, monkeypatch):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    path = tmp_path / "film.json"
    text = (ROOT / "tests" / "data" / "short_film.fountain").read_text()
    import_screenplay(text, path, default_registry(), size=(192, 108))
    return path


def names(win):
    return [it.data(Qt.UserRole) for it in win.sequence.items()]


def test_strip_reorder_open_render_and_play_the_cut(win, film, qtbot):
    assert win.open_path(film)
    assert names(win) == ["01_harbour_cafe", "02_ferry_dock", "03_open_sea"]
    assert {win.sequence.states[n] for n in names(win)} == {"not rendered"}
    assert not win.sequence.items()[0].icon().isNull()  # the storyboard card
    grab(win, "sequence_strip.png")

    model = win.sequence.strip.model()
    assert model.moveRow(QModelIndex(), 2, QModelIndex(), 0)  # the sea shot first, as a drop does
    assert [s.name for s in load_sequence(film).shots] == [
        "03_open_sea",
        "01_harbour_cafe",
        "02_ferry_dock",
    ]

    win.sequence.style_edit.setText("35mm film still, muted palette")
    win.sequence.style_edit.editingFinished.emit()
    assert load_sequence(film).bible.style == "35mm film still, muted palette"
    import json

    shot_file = film.parent / load_sequence(film).shots[0].workflow  # the shot opened is the film's
    prompt = next(n for n in json.loads(shot_file.read_text())["nodes"] if n["type"] == "prompt")
    assert prompt["params"]["style"] == "35mm film still, muted palette"

    QTest.mouseClick(win.sequence.render_btn, Qt.LeftButton)
    qtbot.waitUntil(
        lambda: win.sequence.cancel is None and win.sequence.cut is not None, timeout=120_000
    )
    assert {win.sequence.states[n] for n in names(win)} == {"rendered"}
    assert win.sequence.play_btn.isEnabled()
    QTest.mouseClick(win.sequence.play_btn, Qt.LeftButton)
    [src] = win.viewer.sources
    assert win.viewer.playing  # Play the cut plays it
    assert src.value.path == win.sequence.cut and src.value.path.name == "film_cut.mp4"
    qtbot.wait(300)
    grab(win, "sequence_rendered.png")

    win._sequence_dock.raise_()  # back to the Sequence tab (the viewer took the front)
    qtbot.waitUntil(lambda: win.sequence.strip.isVisible())
    first = win.sequence.items()[0]
    rect = win.sequence.strip.visualItemRect(first)
    assert win.sequence.strip.viewport().rect().contains(rect.center()), (
        rect,
        win.sequence.strip.viewport().rect(),
    )
    QTest.mouseClick(win.sequence.strip.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
    assert win.sequence.strip.currentItem() is first
    QTest.keyClick(win.sequence.strip, Qt.Key_Return)  # Enter (or a double-click) opens it
    assert win.doc.path is not None and win.doc.path.name == "03_open_sea.json"
    assert {n.type for n in win.doc.wf.nodes} == {"prompt", "reference_image", "recipe"}


def test_render_sequence_asks_before_paid_shots(win, film, qtbot, monkeypatch):
    assert win.open_path(film)
    asked = []
    win.confirm_cost = lambda total, costs: (
        asked.append((total, costs)) or False
    )  # the user says no
    monkeypatch.setattr(
        win.sequence, "_estimate", lambda: {"01_harbour_cafe": 7.5, "02_ferry_dock": 0.0}
    )
    QTest.mouseClick(win.sequence.render_btn, Qt.LeftButton)
    assert asked == [(7.5, {"01_harbour_cafe": 7.5, "02_ferry_dock": 0.0})]
    assert (
        win.sequence.cancel is None and win.sequence.render_btn.text() == "Render sequence"
    )  # nothing ran
