"""The open workflow: the Workflow model, its file, and the undo stack of edits to it.

Every change the editor makes goes through here as a list of app.core.edits ops in one undo
command, after the model's checks; the canvas and panels only listen to the signals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.core import edits, recipes
from app.core.errors import WorkflowError
from app.core.fileio import load_workflow, save_workflow
from app.core.registry import Registry
from app.core.workflow import Link, Mode, NodeModel, Workflow


class _Edit(QUndoCommand):
    def __init__(
        self, doc: Document, ops: list[edits.Op], text: str, merge_key: str | None = None
    ) -> None:
        super().__init__(text)
        self.doc, self.ops, self.inverse = doc, ops, []
        self.merge_key, self.t = merge_key, time.monotonic()

    def redo(self) -> None:
        self.inverse = self.doc._apply(self.ops)

    def undo(self) -> None:
        self.doc._apply(self.inverse)

    def id(self) -> int:
        return 1 if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        # typing into one field makes one undo step, not one per keystroke
        if (
            not isinstance(other, _Edit)
            or other.merge_key != self.merge_key
            or other.t - self.t > 2.0
        ):
            return False
        self.ops = self.ops + other.ops
        self.inverse = other.inverse + self.inverse
        self.t = other.t
        return True


@dataclass
class Level:
    """A workflow put aside while one of its recipes is edited, with its own undo history."""

    wf: Workflow
    path: Path | None
    undo: QUndoStack
    base_dir: Path
    instance: str  # the recipe node entered
    source: str  # its recipe's source (embedded:NAME, library:NAME or a file)
    title: str


class Document(QObject):
    node_added = Signal(str)
    node_removed = Signal(str)
    link_added = Signal(object)  # Link
    link_removed = Signal(object)
    params_changed = Signal(str)
    node_ui_changed = Signal(str)
    mode_changed = Signal(str)  # bypass / mute switched
    doc_ui_changed = Signal()
    reset = Signal()  # a different workflow was loaded
    recipes_changed = Signal()  # the embedded recipes changed: recipe nodes may have other ports
    stack_changed = Signal()  # another undo stack is current (entering or leaving a recipe)
    path_changed = Signal()
    refused = Signal(str)  # an edit the model refused, and why

    def __init__(self, registry: Registry, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.wf = Workflow(name="untitled")
        self.path: Path | None = None
        self.undo = QUndoStack(self)
        self.levels: list[
            Level
        ] = []  # the workflows around the recipe being edited, outermost first

    # -- whole documents ---------------------------------------------------------------------
    def set_workflow(self, wf: Workflow, path: Path | None, *, dirty: bool = False) -> None:
        if wf.nodes and not any("pos" in n.ui for n in wf.nodes):
            for node_id, pos in edits.layout(wf).items():
                wf.node(node_id).ui["pos"] = pos  # type: ignore[union-attr]
        self.wf = wf
        self.path = path
        self.undo.clear()
        if dirty:
            # recovered work is unsaved: one harmless step keeps the title's dirty marker on
            self.undo.resetClean()
            self.undo.push(_Edit(self, [edits.set_doc_ui(dict(wf.ui))], "recovered work"))
        self.reset.emit()
        self.path_changed.emit()

    def save(self, path: Path | None = None) -> Path:
        target = Path(path or self.path or "")
        if not str(target):
            raise ValueError("no file name to save to")
        if self.path is None or target.resolve() != self.path:
            name = target.stem
            if self.wf.name in ("untitled", "") and name:
                self.wf.name = name
        save_workflow(self.wf, target)
        self.path = target.resolve()
        self.undo.setClean()
        self.path_changed.emit()
        return self.path

    @property
    def base_dir(self) -> Path:
        if self.path:
            return self.path.parent
        if self.levels:  # inside an embedded recipe: the workflow's folder it lives in
            return self.levels[-1].base_dir
        return Path.cwd()

    @property
    def dirty(self) -> bool:
        return not self.undo.isClean()

    def title(self) -> str:
        return self.path.name if self.path else f"{self.wf.name or 'untitled'} (not saved)"

    # -- edits ---------------------------------------------------------------------------------
    def _apply(self, ops: list[edits.Op]) -> list[edits.Op]:
        inverse = []
        for op in ops:
            inverse.append(edits.apply(self.wf, op))
            self._announce(op)
        inverse.reverse()
        return inverse

    def _announce(self, op: edits.Op) -> None:
        match op:
            case edits.AddNode():
                self.node_added.emit(op.node["id"])
            case edits.RemoveNode():
                self.node_removed.emit(op.node_id)
            case edits.AddLink():
                self.link_added.emit(edits.link_of(op.key))
            case edits.RemoveLink():
                self.link_removed.emit(edits.link_of(op.key))
            case edits.SetParams():
                self.params_changed.emit(op.node_id)
            case edits.SetNodeUi():
                self.node_ui_changed.emit(op.node_id)
            case edits.SetMode():
                self.mode_changed.emit(op.node_id)
            case edits.SetDocUi() | edits.SetInterface():
                self.doc_ui_changed.emit()
            case edits.SetRecipes():
                self.recipes_changed.emit()

    def push(self, ops: list[edits.Op], text: str, merge_key: str | None = None) -> None:
        if ops:
            self.undo.push(_Edit(self, ops, text, merge_key))

    def add_node(
        self,
        type_id: str,
        pos: tuple[float, float],
        params: dict[str, Any] | None = None,
        *,
        base_id: str | None = None,
        ui: dict[str, Any] | None = None,
    ) -> str:
        node_id = edits.unique_id(self.wf, base_id or type_id)
        nt = self.registry.get(type_id)
        title = nt.title if nt else type_id
        node = NodeModel(
            id=node_id,
            type=type_id,
            params=params or {},
            ui={**(ui or {}), "pos": [float(pos[0]), float(pos[1])]},
        )
        self.push([edits.add_node(node)], f"add {title}")
        return node_id

    def remove_nodes(self, ids: set[str]) -> None:
        ids = {i for i in ids if self.wf.node(i) is not None}
        if ids:
            self.push(edits.remove_nodes(self.wf, ids), f"delete {len(ids)} node(s)")

    def move_nodes(self, positions: dict[str, tuple[float, float]]) -> None:
        ops = []
        for node_id, (x, y) in positions.items():
            node = self.wf.node(node_id)
            if node is not None and node.ui.get("pos") != [x, y]:
                ops.append(edits.set_node_ui(node_id, dict(node.ui, pos=[float(x), float(y)])))
        self.push(ops, "move")

    def rename_node(self, node_id: str, title: str) -> None:
        node = self.wf.node(node_id)
        if node is not None:
            ui = dict(node.ui)
            if title.strip() and title.strip() != node_id:
                ui["title"] = title.strip()
            else:
                ui.pop("title", None)
            self.push([edits.set_node_ui(node_id, ui)], "rename")

    def change_links(self, removed: list[Link], added: list[Link]) -> str | None:
        """Connect/disconnect as one step; returns why it was refused (and says so), or None."""
        removed = [lk for lk in removed if any(x.key == lk.key for x in self.wf.links)]
        problem = edits.link_change_problem(self.wf, self.registry, removed, added, self.base_dir)
        if problem:
            self.refused.emit(problem)
            return problem
        ops = [edits.remove_link(lk) for lk in removed] + [edits.add_link(lk) for lk in added]
        self.push(ops, "connect" if added else "disconnect")
        return None

    def connect(self, src: tuple[str, str], dst: tuple[str, str]) -> str | None:
        link = Link.model_validate({"from": list(src), "to": list(dst)})
        # a single input gives up its old link to the new one, as dragging onto it would
        nt = self.node_type(dst[0])
        inp = nt.input(dst[1]) if nt else None
        old = (
            [lk for lk in self.wf.links if lk.dst == link.dst]
            if inp is not None and not inp.multi
            else []
        )
        return self.change_links(old, [link])

    def set_param(self, node_id: str, name: str, value: Any) -> str | None:
        """Set one param after checking it against the node's params model; returns the
        refusal message, or None."""
        node = self.wf.node(node_id)
        if node is None:
            return "no such node"
        params = dict(node.params)
        params[name] = value
        nt = self.registry.get(node.type)
        if nt is not None:
            from pydantic import ValidationError

            try:
                nt.params.model_validate(params)
            except ValidationError as e:
                err = next((x for x in e.errors() if tuple(x["loc"][:1]) == (name,)), None)
                if err is not None:
                    msg = f"{node_id}: param '{name}': {err['msg']}"
                    self.refused.emit(msg)
                    return msg
        if params != node.params:
            # the undo menu reads "Undo shot: selected take", not a raw field name
            self.push(
                [edits.set_params(node_id, params)],
                f"{self.node_title(node_id)}: {name.replace('_', ' ')}",
                merge_key=f"{node_id}.{name}",
            )
        return None

    def toggle_mode(self, ids: list[str], mode: Mode) -> None:
        """Bypass or mute the nodes (one undo step); all of them back on when all already are."""
        nodes = [n for n in (self.wf.node(i) for i in ids) if n is not None]
        if not nodes:
            return
        new = None if all(n.mode == mode for n in nodes) else mode
        ops = [edits.set_mode(n.id, new) for n in nodes if n.mode != new]
        word = {"bypass": "Bypass", "mute": "Mute"}[mode]
        self.push(ops, f"{word if new else 'Un-' + word.lower()} {', '.join(n.id for n in nodes)}")

    def set_doc_ui(self, ui: dict[str, Any], text: str) -> None:
        if ui != self.wf.ui:
            self.push([edits.set_doc_ui(ui)], text)

    def paste(self, frag: dict[str, Any], offset: tuple[float, float]) -> list[str]:
        ops, ids = edits.paste(self.wf, frag, offset)
        self.push(ops, f"paste {len(ids)} node(s)")
        return ids

    def change_whole(self, after: Workflow, text: str) -> None:
        """Replace the graph with ``after`` as one undo step (Make recipe, Expand, Embed)."""
        self.push(edits.ops_between(self.wf, after), text)

    # -- recipes -----------------------------------------------------------------------------------
    def node_type(self, node_id: str):
        """The node's type as its ports see it (a recipe node's ports are its recipe's)."""
        from app.core.validate import Index, node_type

        node = self.wf.node(node_id)
        return node_type(Index(self.wf), self.registry, node, self.base_dir) if node else None

    def recipe_ports(self, node_id: str) -> recipes.Ports:
        """A recipe node's ports, exposed settings and versions; ValueError when unreadable."""
        node = self.wf.node(node_id)
        if node is None or node.type != recipes.TYPE:
            raise ValueError(f"{node_id} is not a recipe node")
        return recipes.ports(node, self.registry, self.base_dir, self.wf.recipes)

    def set_recipe_value(self, node_id: str, name: str, value: Any) -> str | None:
        """Set an exposed setting on a recipe instance, checked against the inner node's params."""
        from pydantic import ValidationError

        node = self.wf.node(node_id)
        try:
            info = self.recipe_ports(node_id)
        except ValueError as e:
            self.refused.emit(str(e))
            return str(e)
        assert node is not None
        entry = next((p for p in info.params if p[0] == name), None)
        if entry is None:
            return f"the recipe exposes no setting {name!r}"
        p = recipes.RecipeParams.model_validate(node.params)
        loaded = recipes.load(p.source, base_dir=self.base_dir, embedded=self.wf.recipes, pin=p.pin)
        inner = loaded.wf.node(entry[1])
        nt = self.registry.get(inner.type) if inner else None
        if inner is not None and nt is not None:
            try:
                nt.params.model_validate({**inner.params, entry[2]: value})
            except ValidationError as e:
                err = next((x for x in e.errors() if tuple(x["loc"][:1]) == (entry[2],)), None)
                if err is not None:
                    msg = f"{node_id}: setting '{name}': {err['msg']}"
                    self.refused.emit(msg)
                    return msg
        values = dict(p.values)
        values[name] = value  # kept even when it equals the recipe's: the shot chose it
        if values != p.values:
            self.push(
                [edits.set_params(node_id, {**node.params, "values": values})],
                f"{self.node_title(node_id)}: {name.replace('_', ' ')}",
                merge_key=f"{node_id}.values.{name}",
            )
        return None

    def enter(self, node_id: str) -> str | None:
        """Edit inside a recipe node: its recipe becomes the document, with its own undo
        history, until exit(). Returns why it cannot be entered, or None."""
        node = self.wf.node(node_id)
        if node is None or node.type != recipes.TYPE:
            return f"{node_id} is not a recipe node"
        try:
            p = recipes.RecipeParams.model_validate(node.params)
            loaded = recipes.load(
                p.source, base_dir=self.base_dir, embedded=self.wf.recipes, pin=p.pin
            )
        except (ValueError, Exception) as e:  # noqa: BLE001 - shown, never raised into Qt
            return str(e)
        if p.pin and loaded.digest != loaded.current:
            return (
                f"{node_id} keeps an older version of its recipe; update it (or clear its "
                "pin) to edit the recipe"
            )
        path = None
        if not p.source.startswith(recipes.EMBEDDED):
            path = Path(loaded.ident)
            shipped = recipes.shipped_library().resolve()
            if p.source.startswith(recipes.LIBRARY) and path.is_relative_to(shipped):
                return (
                    f"{p.source} is a shipped recipe; Embed it (or save it to your library) "
                    "to change it"
                )
            if not _writable(path):
                return f"{path} cannot be written; Embed the recipe to change it in this workflow"
        self.levels.append(
            Level(
                self.wf,
                self.path,
                self.undo,
                self.base_dir,
                node_id,
                p.source,
                self.node_title(node_id),
            )
        )
        self.undo = QUndoStack(self)
        self.undo.cleanChanged.connect(self.path_changed)  # signal to signal: gone with us
        self.wf, self.path = loaded.wf.clone(), path
        self.stack_changed.emit()
        self.reset.emit()
        self.path_changed.emit()
        return None

    def exit(self) -> None:
        """Back to the workflow around the recipe: an edited embedded recipe goes into it as
        one undo step; an edited recipe file is saved (every shot that links it sees it)."""
        if not self.levels:
            return
        level = self.levels[-1]
        inner, inner_path, changed = self.wf, self.path, not self.undo.isClean()
        linked = not (level.source.startswith(recipes.EMBEDDED) or inner_path is None)
        if changed and linked and inner_path is not None:
            try:  # before the workflow is redrawn with its ports; on failure stay inside
                save_workflow(inner, inner_path)
            except OSError as e:
                self.refused.emit(
                    f"Cannot save the recipe {inner_path}: {e.strerror or e}; your changes are "
                    "still here (Save As keeps them elsewhere)"
                )
                return
        self.levels.pop()
        old_stack = self.undo
        self.undo, self.wf, self.path = level.undo, level.wf, level.path
        old_stack.deleteLater()
        self.stack_changed.emit()
        self.reset.emit()
        self.path_changed.emit()
        node = self.wf.node(level.instance)
        if not changed or node is None:
            return
        if not linked:
            name = level.source.removeprefix(recipes.EMBEDDED)
            after = self.wf.clone()
            after.recipes[name] = inner.to_json_dict()
            seen = dict(node.ui, recipe_seen=recipes.digest(inner))
            after.node(level.instance).ui = seen  # type: ignore[union-attr]
            self.change_whole(after, f"edit recipe {name}")
        else:
            self.push(
                [
                    edits.set_node_ui(
                        level.instance, dict(node.ui, recipe_seen=recipes.digest(inner))
                    )
                ],
                f"edit recipe {inner_path.stem}",
            )

    def folded(self) -> tuple[Workflow, Path | None]:
        """The outermost workflow with the embedded recipes being edited folded in, and its
        file: what autosave keeps while a recipe is open."""
        wf = self.wf
        for level in reversed(self.levels):
            parent = level.wf.clone()
            if level.source.startswith(recipes.EMBEDDED):
                parent.recipes[level.source.removeprefix(recipes.EMBEDDED)] = wf.to_json_dict()
            wf = parent
        return wf, (self.levels[0].path if self.levels else self.path)

    @property
    def any_dirty(self) -> bool:
        return self.dirty or any(not lv.undo.isClean() for lv in self.levels)

    def exit_all(self) -> bool:
        """Back to the outermost workflow; False if a recipe could not be saved (still inside)."""
        while self.levels:
            depth = len(self.levels)
            self.exit()
            if len(self.levels) == depth:
                return False
        return True

    def breadcrumb(self) -> list[str]:
        top = self.levels[0].path.name if self.levels and self.levels[0].path else None
        names = [top or (self.levels[0].wf.name if self.levels else self.title())]
        names += [lv.title for lv in self.levels]
        return names if self.levels else []

    # -- helpers ---------------------------------------------------------------------------------
    def node_title(self, node_id: str) -> str:
        node = self.wf.node(node_id)
        if node is None:
            return node_id
        return node.ui.get("title") or node_id


def open_any(path: Path) -> Workflow:
    """A workflow from a workflow file or from a render with one embedded (MP4/MOV/WebM/PNG)."""
    if path.suffix.lower() == ".json":
        return load_workflow(path)
    from app.core.fileio import parse_workflow
    from app.media.encode import read_embedded_workflow

    try:
        doc = read_embedded_workflow(path)
    except Exception as e:  # noqa: BLE001 - any unreadable file is one message
        raise WorkflowError(f"{path.name}: cannot read it ({e})", path=str(path)) from None
    if doc is None:
        raise WorkflowError(
            f"{path.name} has no Reelgraph workflow embedded; only renders exported by "
            "Reelgraph carry one",
            path=str(path),
        )
    import json

    try:
        text = json.dumps(doc)
    except (RecursionError, ValueError):
        raise WorkflowError(
            f"{path.name}: its embedded workflow is damaged (nested too deeply)", path=str(path)
        ) from None
    return parse_workflow(text, source=path.name)


def _writable(path: Path) -> bool:
    import os

    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
