"""The canvas as a user drives it: palette, quick-add, dragging connections (refused ones too),
delete, copy/paste/duplicate, backdrops, unknown node types, auto-layout."""

import json

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from app.core.workflow import Workflow
from app.ui.graph import UnknownNode


def port_point(win, node_id, port, out):
    ng = win.bridge.nodes[node_id]
    p = (ng.get_output(port) if out else ng.get_input(port)).view
    return win.bridge.viewer.mapFromScene(p.sceneBoundingRect().center())


def drag(win, a: QPoint, b: QPoint):
    vp = win.bridge.viewer.viewport()
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    for i in range(1, 6):
        QTest.mouseMove(vp, a + (b - a) * i / 5)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, b)


def links(win):
    return sorted(lk.key for lk in win.doc.wf.links)


def scene_links(win):
    """The connections the canvas shows, as (src, port, dst, port) in our ids."""
    out = set()
    for node_id, ng in win.bridge.nodes.items():
        for p in ng.input_ports():
            for q in p.connected_ports():
                out.add((win.bridge.ids[q.node().id], q.name(), node_id, p.name()))
    return sorted(out)


def test_palette_search_and_add(win, qtbot):
    win.palette.search.setText("timeline")  # matches export's description, not its name
    assert win.palette.visible_types() == ["export"]
    win.palette.search.setText("lip")
    assert win.palette.visible_types()[0] == "lip_sync"  # then the recipes that lip-sync
    assert {t for t in win.palette.visible_types() if not t.startswith("recipe:")} == {"lip_sync"}
    QTest.keyClick(win.palette.search, Qt.Key_Return)
    assert [n.type for n in win.doc.wf.nodes] == ["lip_sync"]
    assert "lip_sync" in win.bridge.nodes
    assert win.bridge.selected_ids() == ["lip_sync"]
    assert win.props.node_id == "lip_sync"


def test_tab_quick_add_at_cursor(win, qtbot):
    viewer = win.bridge.viewer
    viewer.setFocus()
    QTest.keyClick(viewer, Qt.Key_Tab)
    assert win.quick_add.isVisible()
    QTest.keyClicks(win.quick_add.edit, "camera")
    assert win.quick_add.list.currentItem().data(Qt.UserRole) == "camera_path"
    QTest.keyClick(win.quick_add.edit, Qt.Key_Return)
    assert not win.quick_add.isVisible()
    assert [n.type for n in win.doc.wf.nodes] == ["camera_path"]


def test_drag_to_connect_and_refusals(win, qtbot):
    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("generator", (350, 0))
    d.add_node("export", (700, 0))
    d.add_node("last_frame", (350, 350))
    qtbot.wait(50)
    drag(
        win, port_point(win, "generator", "video", True), port_point(win, "export", "video", False)
    )
    assert links(win) == [("generator", "video", "export", "video")]
    assert scene_links(win) == links(win)

    # wrong type: refused, the status bar says why, nothing drawn
    drag(win, port_point(win, "prompt", "prompt", True), port_point(win, "export", "video", False))
    assert links(win) == [("generator", "video", "export", "video")]
    assert scene_links(win) == links(win)
    assert "type mismatch" in win.status_label.text() and "PROMPT" in win.status_label.text()

    # a cycle: generator -> last_frame -> generator
    drag(
        win,
        port_point(win, "generator", "video", True),
        port_point(win, "last_frame", "video", False),
    )
    drag(
        win,
        port_point(win, "last_frame", "image", True),
        port_point(win, "generator", "image", False),
    )
    assert ("last_frame", "image", "generator", "image") not in links(win)
    assert "cycle" in win.status_label.text()
    assert scene_links(win) == links(win)

    # undo takes the last accepted connection back, on the canvas too
    d.undo.undo()
    assert links(win) == [("generator", "video", "export", "video")]
    assert scene_links(win) == links(win)


def test_dragging_a_pipe_off_an_input_disconnects(win, qtbot):
    d = win.doc
    d.add_node("generator", (0, 0))
    d.add_node("export", (400, 0))
    d.connect(("generator", "video"), ("export", "video"))
    qtbot.wait(50)
    start = port_point(win, "export", "video", False)
    drag(win, start, start + QPoint(0, 200))
    assert links(win) == [] and scene_links(win) == []
    d.undo.undo()
    assert scene_links(win) == links(win) == [("generator", "video", "export", "video")]


def test_delete_copy_paste_duplicate_keep_inner_links(win, qtbot):
    d = win.doc
    for i, t in enumerate(["prompt", "generator", "export"]):
        d.add_node(t, (i * 350, 0))
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    d.connect(("generator", "video"), ("export", "video"))
    win.bridge.select(["generator", "export"])
    win.bridge.graph.widget.setFocus()
    new = win.duplicate()
    assert sorted(new) == ["export_2", "generator_2"]
    assert ("generator_2", "video", "export_2", "video") in links(win)
    assert not any(
        k[2] == "generator_2" and k[0] == "prompt" for k in links(win)
    )  # only inner links
    win.bridge.select(["prompt"])
    win.copy()
    pasted = win.paste((0, 500))
    assert pasted == ["prompt_2"] and d.wf.node("prompt_2").ui["pos"] == [0.0, 500.0]
    win.bridge.select(["generator"])
    win.bridge.viewer.setFocus()
    QTest.keyClick(win.bridge.viewer, Qt.Key_Delete)
    assert d.wf.node("generator") is None
    assert not any("generator" in (k[0], k[2]) for k in links(win))
    assert "generator" not in win.bridge.nodes
    d.undo.undo()
    assert d.wf.node("generator") is not None and (
        "generator",
        "video",
        "export",
        "video",
    ) in links(win)
    assert scene_links(win) == links(win)


def test_backdrop_groups_and_undoes(win, qtbot):
    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("generator", (300, 0))
    win.bridge.select(["prompt", "generator"])
    bid = win.add_backdrop("Shot 1")
    [b] = d.wf.ui["backdrops"]
    assert b["id"] == bid and b["title"] == "Shot 1"
    x, y = b["pos"]
    w, h = b["size"]
    for n in d.wf.nodes:  # the backdrop frames the nodes
        px, py = n.ui["pos"]
        assert x < px < x + w and y < py < y + h
    assert bid in win.bridge.backdrops and win.bridge.backdrops[bid].name() == "Shot 1"
    d.undo.undo()
    assert d.wf.ui.get("backdrops") in (None, []) and not win.bridge.backdrops


def test_unknown_node_type_is_a_red_placeholder_that_keeps_everything(win, tmp_path):
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "plugin",
        "nodes": [
            {"id": "p", "type": "prompt", "params": {"subject": "x"}, "ui": {"pos": [0, 0]}},
            {
                "id": "magic",
                "type": "acme_magic",
                "params": {"strength": 7, "mode": "wild"},
                "ui": {"pos": [300, 0]},
            },
            {"id": "e", "type": "export", "params": {}, "ui": {"pos": [600, 0]}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["magic", "text"]},
            {"from": ["magic", "clip"], "to": ["e", "video"]},
        ],
    }
    src = tmp_path / "plugin.json"
    src.write_text(json.dumps(doc))
    assert win.open_path(src)
    ng = win.bridge.nodes["magic"]
    assert isinstance(ng, UnknownNode)
    assert ng.view.state == "unknown" and "acme_magic" in ng.view.toolTip()
    assert (
        scene_links(win)
        == links(win)
        == [("magic", "clip", "e", "video"), ("p", "prompt", "magic", "text")]
    )
    out = tmp_path / "again.json"
    assert win._save_to(out)
    back = json.loads(out.read_text())
    assert back["nodes"][1] == doc["nodes"][1] and back["links"] == doc["links"]


def test_workflow_without_positions_is_laid_out(win, tmp_path):
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "bare",
        "nodes": [
            {"id": "p", "type": "prompt"},
            {"id": "i", "type": "reference_image"},
            {"id": "g", "type": "generator"},
            {"id": "e", "type": "export"},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["i", "image"], "to": ["g", "image"]},
            {"from": ["g", "video"], "to": ["e", "video"]},
        ],
    }
    (tmp_path / "bare.json").write_text(json.dumps(doc))
    win.open_path(tmp_path / "bare.json")
    pos = {n.id: tuple(n.ui["pos"]) for n in win.doc.wf.nodes}
    assert len(set(pos.values())) == 4
    assert pos["p"][0] == pos["i"][0] < pos["g"][0] < pos["e"][0]  # columns follow the flow
    rects = [win.bridge.nodes[i].view.sceneBoundingRect() for i in pos]
    assert not any(a.intersects(b) for k, a in enumerate(rects) for b in rects[k + 1 :])


def test_model_refuses_even_without_the_canvas(registry):
    from app.core import edits

    wf = Workflow.model_validate(
        {
            "nodes": [{"id": "a", "type": "generator"}, {"id": "b", "type": "last_frame"}],
            "links": [{"from": ["a", "video"], "to": ["b", "video"]}],
        }
    )
    from app.core.workflow import Link

    back = Link.model_validate({"from": ["b", "image"], "to": ["a", "image"]})
    assert "cycle" in edits.link_change_problem(wf, registry, [], [back])


def test_dragging_a_node_moves_it_in_the_model_and_undo_moves_it_back(win, qtbot):
    win.doc.add_node("camera_path", (0, 0))
    win.doc.undo.clear()
    view = win.bridge.nodes["camera_path"].view
    title = win.bridge.viewer.mapFromScene(view.sceneBoundingRect().topLeft()) + QPoint(40, 8)
    drag(win, title, title + QPoint(150, 90))
    x, y = win.doc.wf.node("camera_path").ui["pos"]
    assert x > 50 and y > 30  # in scene units: the view may be zoomed
    assert list(view.xy_pos) == [x, y]
    win.doc.undo.undo()
    assert win.doc.wf.node("camera_path").ui["pos"] == [0.0, 0.0] and list(view.xy_pos) == [
        0.0,
        0.0,
    ]


def test_node_graph_habits_double_click_search_and_wire_drop(win, qtbot):
    """Issue 15 #4 and #9, with real mouse events: double-click on empty canvas opens the search;
    "load image" finds the Reference image; no match says so; a wire dropped on empty canvas
    opens the search filtered to nodes that take it and connects the one chosen; while a wire is
    dragged, the ports it may go to stand out and the others fade."""
    from tests.ui.test_editors import shot

    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("generator", (350, 0))
    qtbot.wait(50)
    vp = win.bridge.viewer.viewport()
    empty = win.bridge.viewer.mapFromScene(QPointF(200, 500))
    QTest.mouseDClick(vp, Qt.LeftButton, Qt.NoModifier, empty)
    assert win.quick_add.isVisible()
    QTest.keyClicks(win.quick_add.edit, "load image")
    assert win.quick_add.list.item(0).data(Qt.UserRole) == "reference_image"
    win.quick_add.edit.clear()
    QTest.keyClicks(win.quick_add.edit, "zzzz")
    assert win.quick_add.list.item(0).text().startswith("no node matches 'zzzz'")
    QTest.keyClick(win.quick_add.edit, Qt.Key_Escape)
    win.quick_add.hide()
    # ports light up while a wire is dragged
    a = port_point(win, "generator", "video", True)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(vp, a + QPoint(40, 60))
    gen, prompt = win.bridge.nodes["generator"], win.bridge.nodes["prompt"]
    assert prompt.get_output("prompt").view.opacity() < 0.5  # a PROMPT output cannot take a video
    assert gen.get_input("prompt").view.opacity() < 0.5
    drop = a + QPoint(160, 220)
    QTest.mouseMove(vp, drop)
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, drop)
    assert prompt.get_output("prompt").view.opacity() == 1.0  # back to normal
    assert (
        win.quick_add.isVisible()
        and "takes generator.video" in win.quick_add.edit.placeholderText()
    )
    offered = {
        win.quick_add.list.item(i).data(Qt.UserRole) for i in range(win.quick_add.list.count())
    }
    assert "export" in offered and "prompt" not in offered and "reference_image" not in offered
    shot(win, "wire_drop_search.png")
    QTest.keyClicks(win.quick_add.edit, "export")
    QTest.keyClick(win.quick_add.edit, Qt.Key_Return)
    assert ("generator", "video", "export", "video") in links(win)
    assert scene_links(win) == links(win)
    d.undo.undo()  # one step: the node and its link
    assert d.wf.node("export") is None and links(win) == []


def test_double_click_on_a_pipe_adds_a_reroute_point_the_run_passes_through(win, qtbot, tmp_path):
    from tests.ui.test_editors import shot
    from tests.ui.test_run import wait_run

    d = win.doc
    d.add_node("prompt", (0, 0))
    d.add_node("generator", (500, 0), {"duration": 0.5, "fps": 12, "width": 160, "height": 90})
    d.add_node("export", (900, 0), {"filename": "via_reroute"})
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    d.connect(("generator", "video"), ("export", "video"))
    qtbot.wait(50)
    a = port_point(win, "generator", "video", True)
    b = port_point(win, "export", "video", False)
    mid = (a + b) / 2
    QTest.mouseDClick(win.bridge.viewer.viewport(), Qt.LeftButton, Qt.NoModifier, mid)
    assert ("generator", "video", "reroute", "in") in links(win) and (
        "reroute",
        "out",
        "export",
        "video",
    ) in links(win)
    assert ("generator", "video", "export", "video") not in links(win)
    assert win.bridge.nodes["reroute"].view.boundingRect().width() < 60  # a point, not a node box
    assert scene_links(win) == links(win)
    shot(win, "reroute_point.png")
    d.path = None
    assert win.run_all()
    wait_run(win, qtbot)
    assert win.runner.last_result.status == "ok" if hasattr(win.runner, "last_result") else True
    assert win.bridge.item("export").state == "finished"
    assert list((tmp_path / "videos" / "Reelgraph").glob("via_reroute*.mp4"))
    d.undo.undo()
    assert links(win) == [
        ("generator", "video", "export", "video"),
        ("prompt", "prompt", "generator", "prompt"),
    ]
