"""The properties panel is generated from the params model and edits the model; undo/redo
round trips return exactly the document that was there before."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QPlainTextEdit, QSpinBox


def field(win, name):
    return win.props.findChild(object, f"param_{name}")


def test_widgets_follow_the_params_model(win):
    win._add_and_select("generator", (0, 0))
    dur = field(win, "duration")
    assert isinstance(dur.spin, QDoubleSpinBox) and dur.slider is not None
    assert (dur.spin.minimum(), dur.spin.maximum()) == (0.5, 60.0)
    takes = field(win, "takes")
    assert isinstance(takes.spin, QSpinBox) and (takes.spin.minimum(), takes.spin.maximum()) == (
        1,
        16,
    )
    assert isinstance(field(win, "backend"), QComboBox)
    win._add_and_select("prompt", (0, 300))
    assert isinstance(field(win, "subject"), QPlainTextEdit)  # prompt fields are multiline
    win._add_and_select("export", (400, 0))
    fmt = field(win, "format")
    assert [fmt.itemText(i) for i in range(fmt.count())] == ["mp4", "mov", "png", "webm", "gif"]
    assert isinstance(field(win, "timeline"), QCheckBox)
    win._add_and_select("reference_image", (0, 600))
    assert field(win, "path").line is not None  # with a Browse... button
    win._add_and_select("motion_brush", (0, 900))
    assert field(win, "regions").button.text() == "Edit..."


def test_editing_a_property_changes_the_model(win, qtbot):
    win._add_and_select("generator", (0, 0))
    field(win, "duration").spin.setValue(7.5)
    assert win.doc.wf.node("generator").params["duration"] == 7.5
    field(win, "takes").slider.setValue(1000)  # the slider's far end is the maximum
    assert win.doc.wf.node("generator").params["takes"] == 16
    win._add_and_select("export", (400, 0))
    combo = field(win, "format")
    combo.setCurrentIndex(combo.findData("mov"))
    assert win.doc.wf.node("export").params["format"] == "mov"
    field(win, "timeline").setChecked(True)
    assert win.doc.wf.node("export").params["timeline"] is True
    win._add_and_select("prompt", (0, 300))
    text = field(win, "subject")
    text.setFocus()
    qtbot.keyClicks(text, "a lighthouse at dusk")
    qtbot.waitUntil(
        lambda: win.doc.wf.node("prompt").params.get("subject") == "a lighthouse at dusk",
        timeout=3000,
    )
    assert win.isWindowModified()
    # the model changes from elsewhere (undo): the panel shows it
    win.doc.undo.undo()
    assert text.toPlainText() == ""


def test_a_value_the_model_refuses_is_not_stored(win):
    win._add_and_select("generator", (0, 0))
    assert win.doc.set_param("generator", "width", 641) is not None  # must be even
    assert "width" not in win.doc.wf.node("generator").params
    assert "multiple of 2" in win.status_label.text()


def test_undo_redo_round_trips(win):
    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("reference_image", (0, 200))
    d.undo.clear()
    before = d.wf.to_json_dict()
    steps = [
        lambda: d.add_node("generator", (300, 0)),
        lambda: d.connect(("prompt", "prompt"), ("generator", "prompt")),
        lambda: d.connect(("reference_image", "image"), ("generator", "image")),
        lambda: d.move_nodes({"generator": (420.0, 40.0)}),
        lambda: d.set_param("generator", "seed", 42),
        lambda: d.rename_node("generator", "Hero shot"),
        lambda: d.add_node("export", (700, 0)),
        lambda: d.connect(("generator", "video"), ("export", "video")),
        lambda: d.remove_nodes({"reference_image"}),
        lambda: d.paste(
            {
                "schema": "reelgraph/fragment",
                "version": 1,
                "nodes": [
                    {
                        "id": "prompt",
                        "type": "prompt",
                        "params": {"subject": "b"},
                        "ui": {"pos": [0, 0]},
                    }
                ],
                "links": [],
            },
            (10, 10),
        ),
    ]
    for step in steps:
        step()
    after = d.wf.to_json_dict()
    scene_after = sorted(win.bridge.nodes)
    assert after["nodes"][-1]["id"] == "prompt_2" and not any(
        n["id"] == "reference_image" for n in after["nodes"]
    )
    while d.undo.canUndo():
        d.undo.undo()
    assert d.wf.to_json_dict() == before
    assert sorted(win.bridge.nodes) == ["prompt", "reference_image"]
    while d.undo.canRedo():
        d.undo.redo()
    assert d.wf.to_json_dict() == after
    assert sorted(win.bridge.nodes) == scene_after
    assert win.bridge.nodes["generator"].name() == "Hero shot · Generator"
    assert list(win.bridge.nodes["generator"].view.xy_pos) == [420.0, 40.0]


def test_structured_value_editor_checks_before_accepting(win, qtbot):
    from app.ui.properties import JsonEditor

    win._add_and_select("lip_sync", (0, 0))
    dlg = JsonEditor(win, "mouth_box", None, lambda v: win.props._check("mouth_box", v))
    dlg.edit.setPlainText("[1, 2, 3]")
    dlg._accept()
    assert dlg.result() == 0 and "mouth_box" in dlg.error.text()
    dlg.edit.setPlainText("[10, 20, 30, 40]")
    dlg._accept()
    assert dlg.value == [10, 20, 30, 40]
    win.props._commit("mouth_box", dlg.value)
    assert win.doc.wf.node("lip_sync").params["mouth_box"] == [10, 20, 30, 40]
    assert Qt  # keep the import used


def test_selecting_a_node_does_not_edit_it(win):
    for t in ("camera_path", "export", "generator", "prompt", "reference_image"):
        win._add_and_select(t, (0, 0))
    assert all(n.params == {} for n in win.doc.wf.nodes)
    assert [win.doc.undo.text(i) for i in range(win.doc.undo.count())] == [
        "add Camera path",
        "add Export",
        "add Generator",
        "add Prompt",
        "add Reference image",
    ]


def test_model_is_a_drop_down_of_the_catalog_with_prices_and_mode_shows_where_it_applies(
    win, qtbot
):
    from tests.ui.test_editors import shot

    win._add_and_select("generator", (0, 0))
    assert field(win, "mode") is None  # the local engine has no modes
    backend = field(win, "backend")
    backend.setCurrentIndex(backend.findData("kling"))
    qtbot.waitUntil(
        lambda: field(win, "model") is not None and field(win, "model").findData("kling-v1-5") >= 0
    )
    model = field(win, "model")
    labels = [model.itemText(i) for i in range(model.count())]
    assert "kling-v1-5 · std $0.056/s · pro $0.098/s" in labels and labels[0].startswith(
        "default (kling-v1"
    )
    assert not model.isEditable()
    # pick a model with the mouse: the drop-down opens, a click on the item sets it
    model.showPopup()
    view = model.view()
    index = model.model().index(model.findData("kling-v1-5"), 0)
    qtbot.waitUntil(lambda: view.isVisible())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(index).center())
    assert win.doc.wf.node("generator").params["model"] == "kling-v1-5"
    # the panel rebuilds for the new model: its modes, with resolution and price
    qtbot.waitUntil(
        lambda: field(win, "mode") is not None and "1080p" in field(win, "mode").itemText(2)
    )
    mode = field(win, "mode")
    assert [mode.itemData(i) for i in range(mode.count())] == ["", "std", "pro"]
    assert "1080p" in mode.itemText(2) and "$0.098/s" in mode.itemText(2)
    win.resize(1400, 1300)
    qtbot.wait(100)  # the docks take the new height
    shot(win.props, "properties_model_and_mode.png")
    mode.setCurrentIndex(2)
    mode.activated.emit(2)
    assert win.doc.wf.node("generator").params["mode"] == "pro"
    # a master model has no modes: the row goes away
    model = field(win, "model")
    model.setCurrentIndex(model.findData("kling-v2-1-master"))
    model.activated.emit(model.currentIndex())
    qtbot.waitUntil(lambda: field(win, "mode") is None)
    # fal takes any endpoint id: the drop-down is editable and a typed id is stored
    backend = field(win, "backend")
    backend.setCurrentIndex(backend.findData("fal"))
    qtbot.waitUntil(lambda: field(win, "model") is not None and field(win, "model").isEditable())
    model = field(win, "model")
    model.lineEdit().setText("fal-ai/kling-video/v2.1/pro/image-to-video")
    model.lineEdit().editingFinished.emit()
    assert (
        win.doc.wf.node("generator").params["model"] == "fal-ai/kling-video/v2.1/pro/image-to-video"
    )
