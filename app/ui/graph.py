"""The canvas: a NodeGraphQt scene projected from the Document, never the other way round.

User gestures on the canvas (connect, disconnect, move, rename, resize a backdrop) are turned
into Document edits, which the model checks first; the scene changes only when the Document
announces the change. NodeGraphQt's own undo stack, ids and session format are not used: the
scene is rebuilt from the Workflow and keyed by our stable node ids.
"""

from __future__ import annotations

import re
from typing import Any

from NodeGraphQt import BackdropNode, BaseNode, NodeGraph
from NodeGraphQt.base.commands import PortConnectedCmd, PortDisconnectedCmd
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6.QtCore import QObject, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor

from app.core import edits, recipes
from app.core.node import NodeType
from app.core.ports import PORT_COLOURS, PortType, can_connect
from app.core.registry import Registry
from app.core.workflow import Link
from app.ui.document import Document
from app.ui.node_item import RGNodeItem

MIME_NODE = "application/x-reelgraph-node-type"
CATEGORY_COLOURS = {
    "Inputs": (44, 62, 82),
    "Motion": (66, 50, 82),
    "Generate": (36, 72, 56),
    "Finish": (82, 60, 40),
    "Output": (76, 44, 54),
    "Utility": (56, 60, 66),
}
PREVIEW_TYPES = (PortType.IMAGE, PortType.VIDEO)


def class_name(type_id: str) -> str:
    return "N_" + re.sub(r"\W", "_", type_id)


def _node_class(nt: NodeType) -> type[BaseNode]:
    if nt.pass_through:
        return _reroute_class(nt)

    def __init__(self) -> None:  # noqa: N807 - NodeGraphQt instantiates the class itself
        BaseNode.__init__(self, qgraphics_item=RGNodeItem)
        for inp in nt.inputs:
            self.add_input(inp.name, multi_input=inp.multi, color=PORT_COLOURS[inp.types[0]])
        for out in nt.outputs:
            self.add_output(out.name, multi_output=True, color=PORT_COLOURS[out.types[0]])
        self.view.has_preview = any(
            t in PREVIEW_TYPES for out in nt.outputs for t in out.types
        ) or nt.preview in ("motion", "waveform")  # no picture output: drawn from the params

    return type(
        class_name(nt.id),
        (BaseNode,),
        {"__identifier__": "reelgraph", "NODE_NAME": nt.title, "__init__": __init__},
    )


def _reroute_class(nt: NodeType) -> type[BaseNode]:
    """A reroute point: a small dot with an input and an output, no title."""
    from app.ui.node_item import RerouteItem

    def __init__(self) -> None:  # noqa: N807
        BaseNode.__init__(self, qgraphics_item=RerouteItem)
        self.add_input("in", multi_input=False, display_name=False, color=(200, 200, 200))
        self.add_output("out", multi_output=True, display_name=False, color=(200, 200, 200))

    return type(
        class_name(nt.id),
        (BaseNode,),
        {"__identifier__": "reelgraph", "NODE_NAME": "", "__init__": __init__},
    )


class UnknownNode(BaseNode):
    """A node whose type is not installed: kept with its data and links, shown in red."""

    __identifier__ = "reelgraph"
    NODE_NAME = "Unknown node"

    def __init__(self) -> None:
        BaseNode.__init__(self, qgraphics_item=RGNodeItem)


class RGViewer(NodeViewer):
    quick_add = Signal(QPointF)
    context_requested = Signal(object, QPoint, QPointF)  # NodeGraphQt item id or None
    node_type_dropped = Signal(str, QPointF)
    files_dropped = Signal(list)
    wire_dropped = Signal(
        object, QPointF
    )  # the PortItem the wire started from, where it was let go
    pipe_double_clicked = Signal(object, QPointF)  # the PipeItem, where
    # (start PortItem, other PortItem) -> may they connect; set by the bridge (the model decides)
    compatible = None

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        """Double-click on empty canvas opens the node search there (as in ComfyUI)."""
        from NodeGraphQt.qgraphics.node_backdrop import BackdropNodeItem
        from NodeGraphQt.qgraphics.pipe import PipeItem
        from NodeGraphQt.qgraphics.port import PortItem

        pos = self.mapToScene(event.position().toPoint())
        hit = [
            i
            for i in self.scene().items(pos)
            if isinstance(i, (AbstractNodeItem, PortItem, PipeItem))
            and not isinstance(i, BackdropNodeItem)
            and i is not self._LIVE_PIPE
        ]
        if event.button() == Qt.LeftButton and not hit:
            self.quick_add.emit(pos)
            return
        pipes = [i for i in hit if isinstance(i, PipeItem)]
        if event.button() == Qt.LeftButton and pipes and len(pipes) == len(hit):
            self.pipe_double_clicked.emit(pipes[0], pos)  # a reroute point goes there
            return
        super().mouseDoubleClickEvent(event)

    def start_live_connection(self, selected_port) -> None:
        super().start_live_connection(selected_port)
        self._mark_ports(selected_port)

    def end_live_connection(self) -> None:
        super().end_live_connection()
        self._mark_ports(None)

    def _mark_ports(self, start) -> None:
        """While a wire is dragged, the ports it may go to stand out and the others fade."""
        from NodeGraphQt.qgraphics.port import PortItem

        for item in self.scene().items():
            if isinstance(item, PortItem) and item is not start:
                ok = start is None or self.compatible is None or self.compatible(start, item)
                item.setOpacity(1.0 if ok else 0.2)
                item.setScale(1.25 if start is not None and ok else 1.0)

    def apply_live_connection(self, event) -> None:
        """A wire let go on empty canvas: the search opens there, showing the nodes that take it."""
        from NodeGraphQt.qgraphics.port import PortItem

        if self._LIVE_PIPE.isVisible() and not self._detached_port and self._start_port is not None:
            pos = event.scenePos()
            if not any(isinstance(i, PortItem) for i in self.scene().items(pos)):
                start = self._start_port
                start.hovered = False
                self.end_live_connection()
                self.wire_dropped.emit(start, pos)
                return
        super().apply_live_connection(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key_Tab and not self._LIVE_PIPE.isVisible():
            self.quick_add.emit(self.mapToScene(self.mapFromGlobal(QCursor.pos())))
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 - Qt's names; Tab stays here
        return False

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        self.RMB_state = False
        pos = self.mapToScene(event.pos())
        nodes = [i for i in self.scene().items(pos) if isinstance(i, AbstractNodeItem)]
        self.context_requested.emit(nodes[0].id if nodes else None, event.globalPos(), pos)

    def _accepts(self, event) -> bool:
        md = event.mimeData()
        return md.hasFormat(MIME_NODE) or md.hasUrls()

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction() if self._accepts(event) else event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction() if self._accepts(event) else event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        md = event.mimeData()
        if md.hasFormat(MIME_NODE):
            type_id = bytes(md.data(MIME_NODE)).decode()
            self.node_type_dropped.emit(type_id, self.mapToScene(event.position().toPoint()))
        elif md.hasUrls():
            self.files_dropped.emit([u.toLocalFile() for u in md.urls() if u.isLocalFile()])
        event.acceptProposedAction()


class RGGraph(NodeGraph):
    """NodeGraph whose gesture handlers ask the bridge instead of changing the scene."""

    def __init__(self, bridge: GraphBridge) -> None:
        self._bridge = bridge
        super().__init__(viewer=RGViewer())

    def _on_connection_changed(self, disconnected, connected) -> None:
        self._bridge.view_links_changed(disconnected, connected)

    def _on_connection_sliced(self, ports) -> None:
        self._bridge.view_links_changed(ports, [])

    def _on_nodes_moved(self, node_data) -> None:
        self._bridge.view_nodes_moved(node_data)

    def _on_node_backdrop_updated(self, node_id, update_property, value) -> None:
        self._bridge.view_backdrop_updated(node_id, update_property, value)

    def _on_node_name_changed(self, node_id, name) -> None:
        self._bridge.view_renamed(node_id, name)

    def _on_search_triggered(self, node_type, pos) -> None:
        pass  # our quick-add replaces NodeGraphQt's tab search

    def _on_insert_node(self, pipe, node_id, prev_node_pos) -> None:
        pass  # pipe collision insert is off: every connection goes through the model

    def _on_node_data_dropped(self, mimedata, pos) -> None:
        pass  # the viewer's drop handler reports drops to us


class GraphBridge(QObject):
    selection_changed = Signal(list)  # our node ids
    node_activated = Signal(str)  # double-clicked
    status = Signal(str)

    def __init__(self, doc: Document, registry: Registry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc, self.registry = doc, registry
        self.graph = RGGraph(self)
        self.viewer: RGViewer = self.graph.viewer()  # type: ignore[assignment]
        self.graph.set_acyclic(False)  # cycles are refused by the model, with a reason
        self.graph.set_pipe_collision(False)
        self.graph.set_pipe_slicing(True)
        self.graph.set_background_color(28, 28, 31)
        self.graph.set_grid_color(38, 38, 42)
        for action in (
            getattr(self.viewer, "_undo_action", None),
            getattr(self.viewer, "_redo_action", None),
        ):
            if action is not None:
                action.setShortcuts([])  # Ctrl+Z belongs to the document's undo stack
        for nt in registry:
            self.graph.register_node(_node_class(nt))
        self.graph.register_node(UnknownNode)
        self.nodes: dict[str, BaseNode] = {}
        self.ids: dict[str, str] = {}  # NodeGraphQt id -> our id
        self.backdrops: dict[str, BackdropNode] = {}
        self.backdrop_ids: dict[str, str] = {}

        doc.reset.connect(self.rebuild)
        doc.node_added.connect(self._add_node)
        doc.node_removed.connect(self._remove_node)
        doc.link_added.connect(self._add_link)
        doc.link_removed.connect(self._remove_link)
        doc.node_ui_changed.connect(self._node_ui_changed)
        doc.doc_ui_changed.connect(self._sync_backdrops)
        doc.mode_changed.connect(self._mode_changed)
        doc.recipes_changed.connect(self._recipes_changed)
        self.viewer.compatible = self.ports_fit
        self.graph.node_selection_changed.connect(self._selection)
        self.graph.node_double_clicked.connect(self._double_clicked)

        self._anim = QTimer(self)
        self._anim.setInterval(90)
        self._anim.timeout.connect(self._animate)
        self._anim.start()

    # -- building the scene --------------------------------------------------------------------
    def rebuild(self) -> None:
        self.graph.clear_session()
        self.nodes.clear()
        self.ids.clear()
        self.backdrops.clear()
        self.backdrop_ids.clear()
        for node in self.doc.wf.nodes:
            self._add_node(node.id, fit=False)
        for link in self.doc.wf.links:
            self._add_link(link)
        self._sync_backdrops()
        self.graph.clear_undo_stack()
        self.frame_all()

    def _add_node(self, node_id: str, fit: bool = False) -> None:
        node = self.doc.wf.node(node_id)
        if node is None or node_id in self.nodes:
            return
        nt = self.registry.get(node.type)
        pos = edits.moved(node.ui.get("pos"), (0.0, 0.0))  # a damaged position draws at 0, 0
        ng_type = f"reelgraph.{class_name(node.type)}" if nt else "reelgraph.UnknownNode"
        colour = (
            CATEGORY_COLOURS.get(nt.category if nt else "", (60, 60, 64)) if nt else (96, 30, 34)
        )
        ng = self.graph.create_node(
            ng_type,
            name=self.display_name(node_id),
            selected=False,
            color=colour,
            pos=(float(pos[0]), float(pos[1])),
            push_undo=False,
        )
        if nt is None:
            ng.view.set_state("unknown", None, f"type {node.type!r} is not installed")
            ng.view.set_help(
                f"Unknown node type {node.type!r}: its params and links are kept. "
                "Install the plugin that provides it, or replace the node."
            )
            for link in self.doc.wf.links:
                if link.dst[0] == node_id:
                    self._ensure_port(ng, link.dst[1], out=False)
                if link.src[0] == node_id:
                    self._ensure_port(ng, link.src[1], out=True)
        elif node.type == recipes.TYPE:
            self._recipe_ports(ng, node_id)
        else:
            ng.view.set_help(
                f"<b>{nt.title}</b> ({nt.id})<br>{nt.description}<br><i>F1: reference</i>"
            )
        ng.view.draw_node()
        self.nodes[node_id] = ng
        self.ids[ng.id] = node_id
        if node.mode:
            ng.view.set_mode(node.mode)

    def _recipe_ports(self, ng: BaseNode, node_id: str) -> None:
        """A recipe node's ports are its recipe's interface, coloured by their inner types;
        an unreadable recipe keeps the ports its links use and says why."""
        node = self.doc.wf.node(node_id)
        assert node is not None
        try:
            info = self.doc.recipe_ports(node_id)
        except Exception as e:  # noqa: BLE001 - any unreadable recipe is one message on the node
            ng.view.set_state("unknown", None, str(e))
            ng.view.set_help(f"<b>Recipe</b>: {e}")
            for link in self.doc.wf.links:
                if link.dst[0] == node_id and ng.get_input(link.dst[1]) is None:
                    ng.add_input(link.dst[1], multi_input=True)
                if link.src[0] == node_id and ng.get_output(link.src[1]) is None:
                    ng.add_output(link.src[1], multi_output=True)
            return
        for p in info.inputs:
            ng.add_input(
                p.name, multi_input=False, color=PORT_COLOURS[p.types[0]] if p.types else None
            )
        for p in info.outputs:
            ng.add_output(
                p.name, multi_output=True, color=PORT_COLOURS[p.types[0]] if p.types else None
            )
        ng.view.has_preview = any(t in PREVIEW_TYPES for p in info.outputs for t in p.types)
        source = node.params.get("source", "")
        settings = ", ".join(p[0] for p in info.params) or "none"
        ng.view.set_help(
            f"<b>Recipe</b> {source}<br>inputs: {', '.join(p.name for p in info.inputs) or 'none'}"
            f"<br>settings: {settings}<br><i>Double-click to edit inside; right-click for more</i>"
        )

    def _recipes_changed(self) -> None:
        for node in list(self.doc.wf.nodes):
            if node.type == recipes.TYPE:
                self.refresh_recipe(node.id)

    def refresh_recipe(self, node_id: str) -> None:
        """Rebuild a recipe node after its recipe changed (other ports), keeping its links."""
        if node_id in self.nodes:
            self._remove_node(node_id)
            self._add_node(node_id)
            for link in self.doc.wf.links:
                if node_id in (link.src[0], link.dst[0]):
                    self._add_link(link)

    def _ensure_port(self, ng: BaseNode, name: str, out: bool):
        port = ng.get_output(name) if out else ng.get_input(name)
        if port is None and (
            isinstance(ng, UnknownNode) or ng.type_.endswith(class_name(recipes.TYPE))
        ):
            port = (
                ng.add_output(name, multi_output=True)
                if out
                else ng.add_input(name, multi_input=True)
            )
            ng.view.draw_node()
        return port

    def _remove_node(self, node_id: str) -> None:
        ng = self.nodes.pop(node_id, None)
        if ng is not None:
            self.ids.pop(ng.id, None)
            self.graph.remove_node(ng, push_undo=False)

    def _ports(self, link: Link):
        a, b = self.nodes.get(link.src[0]), self.nodes.get(link.dst[0])
        if a is None or b is None:
            return None, None
        return self._ensure_port(a, link.src[1], out=True), self._ensure_port(
            b, link.dst[1], out=False
        )

    def _add_link(self, link: Link) -> None:
        out, inp = self._ports(link)
        if out is not None and inp is not None and inp not in out.connected_ports():
            PortConnectedCmd(out, inp, False).redo()
            self._style_pipe(link, out, inp)

    def _style_pipe(self, link: Link, out, inp) -> None:
        """Pipes take the colour of the data they carry."""
        from app.core.validate import output_types

        types = output_types(  # a reroute: what it carries
            self.doc.wf, self.registry, link.src[0], link.src[1], base_dir=self.doc.base_dir
        )
        colour = PORT_COLOURS[types[0]] if types and len(types) < len(PortType) else (170, 170, 170)
        for pipe in out.view.connected_pipes:
            if pipe.input_port is inp.view:
                pipe.color = (*colour, 255)
                pipe.reset()

    def _remove_link(self, link: Link) -> None:
        out, inp = self._ports(link)
        if out is not None and inp is not None:
            if inp in out.connected_ports():
                PortDisconnectedCmd(out, inp, False).redo()
            else:
                out.view.disconnect_from(inp.view)  # a pipe the viewer detached already

    def _mode_changed(self, node_id: str) -> None:
        node, ng = self.doc.wf.node(node_id), self.nodes.get(node_id)
        if node is not None and ng is not None and isinstance(ng.view, RGNodeItem):
            ng.view.set_mode(node.mode)

    def _node_ui_changed(self, node_id: str) -> None:
        node, ng = self.doc.wf.node(node_id), self.nodes.get(node_id)
        if node is None or ng is None:
            return
        x, y = node.ui.get("pos", [0, 0])
        if list(ng.view.xy_pos) != [float(x), float(y)]:
            ng.view.xy_pos = [float(x), float(y)]
            ng.model.pos = [float(x), float(y)]
        title = self.display_name(node_id)
        if ng.name() != title:
            ng.set_property("name", title, push_undo=False)

    # -- backdrops (kept in the workflow's ui: {"backdrops": [{id, title, pos, size}]}) ----------
    def _sync_backdrops(self) -> None:
        wanted = {
            b["id"]: b
            for b in self.doc.wf.ui.get("backdrops", [])
            if isinstance(b, dict) and "id" in b
        }
        for bid in list(self.backdrops):
            if bid not in wanted:
                bd = self.backdrops.pop(bid)
                self.backdrop_ids.pop(bd.id, None)
                self.graph.remove_node(bd, push_undo=False)
        for bid, b in wanted.items():
            bd = self.backdrops.get(bid)
            if bd is None:
                bd = self.graph.create_node(
                    "Backdrop",
                    name=b.get("title") or "Backdrop",
                    selected=False,
                    color=tuple(b.get("color", (70, 70, 90))),
                    push_undo=False,
                )
                self.backdrops[bid] = bd
                self.backdrop_ids[bd.id] = bid
            x, y = b.get("pos", [0, 0])
            w, h = b.get("size", [400, 300])
            bd.view.xy_pos = [float(x), float(y)]
            bd.model.pos = [float(x), float(y)]
            bd.set_property("width", float(w), push_undo=False)
            bd.set_property("height", float(h), push_undo=False)
            if bd.name() != (b.get("title") or "Backdrop"):
                bd.set_property("name", b.get("title") or "Backdrop", push_undo=False)

    def backdrop_around(self, ids: list[str], title: str) -> dict[str, Any]:
        """A backdrop record framing the given nodes (or the view centre when none)."""
        rects = [self.nodes[i].view.sceneBoundingRect() for i in ids if i in self.nodes]
        if rects:
            r = rects[0]
            for other in rects[1:]:
                r = r.united(other)
            r = r.adjusted(-30, -60, 30, 30)
        else:
            c = self.viewer.mapToScene(self.viewer.viewport().rect().center())
            r = type(self.viewer.sceneRect())(c.x() - 200, c.y() - 150, 400, 300)
        existing = {b.get("id") for b in self.doc.wf.ui.get("backdrops", [])}
        n = 1
        while f"backdrop_{n}" in existing:
            n += 1
        return {
            "id": f"backdrop_{n}",
            "title": title,
            "pos": [r.x(), r.y()],
            "size": [r.width(), r.height()],
        }

    # -- gestures from the view -> the document ------------------------------------------------
    def _link_from_views(self, a, b) -> Link | None:
        from NodeGraphQt.constants import PortTypeEnum

        if a.port_type == PortTypeEnum.IN.value:
            a, b = b, a
        src, dst = self.ids.get(a.node.id), self.ids.get(b.node.id)
        if src is None or dst is None:
            return None
        return Link.model_validate({"from": [src, a.name], "to": [dst, b.name]})

    def link_of_pipe(self, pipe) -> Link | None:
        if pipe.input_port is None or pipe.output_port is None:
            return None
        return self._link_from_views(pipe.output_port, pipe.input_port)

    def port_of(self, port_item) -> tuple[str, str, bool] | None:
        """(our node id, port name, is an output) of a scene port."""
        from NodeGraphQt.constants import PortTypeEnum

        node_id = self.ids.get(port_item.node.id)
        if node_id is None:
            return None
        return node_id, port_item.name, port_item.port_type == PortTypeEnum.OUT.value

    def ports_fit(self, a, b) -> bool:
        """May a wire from scene port a end on scene port b (other direction, other node, types)."""
        pa, pb = self.port_of(a), self.port_of(b)
        if pa is None or pb is None or pa[2] == pb[2] or pa[0] == pb[0]:
            return False
        out, inp = (pa, pb) if pa[2] else (pb, pa)
        nt_out = self.doc.node_type(out[0])
        nt_in = self.doc.node_type(inp[0])
        o = nt_out.output(out[1]) if nt_out else None
        i = nt_in.input(inp[1]) if nt_in else None
        return o is not None and i is not None and can_connect(o.types, i.types)

    def fitting_types(self, node_id: str, port: str, is_output: bool) -> dict[str, str]:
        """Node types with a port that fits the given one: {type id: that port's name}."""
        node = self.doc.wf.node(node_id)
        nt = self.doc.node_type(node_id) if node else None
        mine = (nt.output(port) if is_output else nt.input(port)) if nt else None
        if mine is None:
            return {}
        found: dict[str, str] = {}
        for other in self.registry:
            ports = other.inputs if is_output else other.outputs
            for p in ports:
                if (
                    can_connect(mine.types, p.types)
                    if is_output
                    else can_connect(p.types, mine.types)
                ):
                    found[other.id] = p.name
                    break
        return found

    def view_links_changed(self, disconnected, connected) -> None:
        removed = [lk for lk in (self._link_from_views(a, b) for a, b in disconnected) if lk]
        added = [lk for lk in (self._link_from_views(a, b) for a, b in connected) if lk]
        problem = self.doc.change_links(removed, added) if (removed or added) else None
        if problem:
            self.status.emit(f"Connection refused: {problem}")
        # the viewer may have taken pipes off the scene on its own; put back what the model kept
        for lk in removed:
            if any(x.key == lk.key for x in self.doc.wf.links):
                out, inp = self._ports(lk)
                if (
                    out is not None
                    and inp is not None
                    and not any(p.input_port is inp.view for p in out.view.connected_pipes)
                ):
                    self.viewer.establish_connection(out.view, inp.view)
                    self._style_pipe(lk, out, inp)

    def view_nodes_moved(self, node_data: dict) -> None:
        positions: dict[str, tuple[float, float]] = {}
        ui = None
        for view in node_data:
            node_id = self.ids.get(view.id)
            if node_id is not None:
                positions[node_id] = tuple(view.xy_pos)  # type: ignore[assignment]
            elif view.id in self.backdrop_ids:
                ui = ui or self._backdrops_from_view()
        if positions or ui is not None:
            self.doc.undo.beginMacro("move")
            self.doc.move_nodes(positions)
            if ui is not None:
                self.doc.set_doc_ui(ui, "move backdrop")
            self.doc.undo.endMacro()

    def _backdrops_from_view(self) -> dict[str, Any]:
        ui = dict(self.doc.wf.ui)
        records = []
        for b in ui.get("backdrops", []):
            bd = self.backdrops.get(b.get("id"))
            if bd is not None:
                b = dict(
                    b,
                    pos=[float(v) for v in bd.view.xy_pos],
                    size=[float(bd.view.width), float(bd.view.height)],
                )
            records.append(b)
        ui["backdrops"] = records
        return ui

    def view_backdrop_updated(self, ng_id: str, update_property: str, value: Any) -> None:
        if ng_id in self.backdrop_ids and update_property in (
            "sizer_mouse_release",
            "sizer_double_clicked",
        ):
            bd = self.backdrops[self.backdrop_ids[ng_id]]
            bd.view.xy_pos = value["pos"]
            bd.view.width, bd.view.height = value["width"], value["height"]
            self.doc.set_doc_ui(self._backdrops_from_view(), "resize backdrop")

    def display_name(self, node_id: str) -> str:
        """The node's title (its id unless renamed), with the type's name when the title does not
        already say it: "shot · Generator", "prompt"."""
        node = self.doc.wf.node(node_id)
        title = self.doc.node_title(node_id)
        nt = self.registry.get(node.type) if node else None
        type_name = nt.title if nt else (node.type if node else "")
        if type_name and type_name.lower() not in title.lower().replace("_", " "):
            return f"{title} · {type_name}"
        return title

    def view_renamed(self, ng_id: str, name: str) -> None:
        if ng_id in self.ids:
            node_id = self.ids[ng_id]
            node = self.doc.wf.node(node_id)
            nt = self.registry.get(node.type) if node else None
            if nt is not None:
                name = name.removesuffix(f" · {nt.title}")
            self.doc.rename_node(node_id, name)
        elif ng_id in self.backdrop_ids:
            ui = self._backdrops_from_view()
            bid = self.backdrop_ids[ng_id]
            ui["backdrops"] = [
                dict(b, title=name) if b.get("id") == bid else b for b in ui["backdrops"]
            ]
            self.doc.set_doc_ui(ui, "rename backdrop")

    # -- selection, activation, run state ---------------------------------------------------------
    def _selection(self, *_: Any) -> None:
        self.selection_changed.emit(self.selected_ids())

    def selected_ids(self) -> list[str]:
        return [self.ids[n.id] for n in self.graph.selected_nodes() if n.id in self.ids]

    def selected_backdrops(self) -> list[str]:
        return [
            self.backdrop_ids[n.id]
            for n in self.graph.selected_nodes()
            if n.id in self.backdrop_ids
        ]

    def select(self, ids: list[str]) -> None:
        self.graph.clear_selection()
        for i in ids:
            if i in self.nodes:
                self.nodes[i].set_selected(True)
        self._selection()

    def _double_clicked(self, ng) -> None:
        if ng is not None and ng.id in self.ids:
            self.node_activated.emit(self.ids[ng.id])

    def node_at(self, ng_id: str | None) -> str | None:
        return self.ids.get(ng_id) if ng_id else None

    def set_state(
        self, node_id: str, state: str | None, progress: float | None = None, message: str = ""
    ) -> None:
        ng = self.nodes.get(node_id)
        if ng is not None and ng.type_ != "reelgraph.UnknownNode":
            ng.view.set_state(state, progress, message)
            nt = self.registry.get(self.doc.wf.node(node_id).type)  # type: ignore[union-attr]
            about = (
                f"<b>{nt.title}</b> ({nt.id})<br>{nt.description}<br><i>F1: reference</i>"
                if nt
                else ""
            )
            if state == "failed":
                ng.view.set_help(f"<b>failed:</b> {message}<br><br>{about}")
            else:
                ng.view.set_help(about)

    def clear_states(self) -> None:
        for node_id in self.nodes:
            self.set_state(node_id, None)

    def set_frames(self, node_id: str, frames: list) -> None:
        ng = self.nodes.get(node_id)
        if ng is not None:
            ng.view.set_frames(frames)

    def item(self, node_id: str) -> RGNodeItem | None:
        ng = self.nodes.get(node_id)
        return ng.view if ng is not None else None  # type: ignore[return-value]

    def _animate(self) -> None:
        for ng in self.nodes.values():
            view = ng.view
            if isinstance(view, RGNodeItem) and view.animating():
                view.advance()

    # -- view helpers ------------------------------------------------------------------------------
    def frame_all(self) -> None:
        views = [n.view for n in self.nodes.values()] + [b.view for b in self.backdrops.values()]
        if views:
            self.viewer.zoom_to_nodes(views)

    def frame_selection(self) -> None:
        views = [n.view for n in self.graph.selected_nodes()]
        if views:
            self.viewer.zoom_to_nodes(views)
        else:
            self.frame_all()

    def view_centre(self) -> tuple[float, float]:
        c = self.viewer.mapToScene(self.viewer.viewport().rect().center())
        return c.x(), c.y()

    def cursor_scene_pos(self) -> tuple[float, float]:
        p = self.viewer.mapToScene(self.viewer.mapFromGlobal(QCursor.pos()))
        if not self.viewer.viewport().rect().contains(self.viewer.mapFromScene(p)):
            return self.view_centre()
        return p.x(), p.y()
