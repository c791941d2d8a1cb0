"""Recipes in the editor: Make recipe, Expand, edit inside (with a breadcrumb back out),
Embed / Link to file / Save to library, and the notice on an instance whose recipe file changed
(Update, with the list of what changed, or Keep the old version). The engine side is
app.core.recipes; this module only turns gestures into document edits."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from app.core import recipes
from app.core.fileio import save_workflow


class Breadcrumb(QWidget):
    """Above the canvas while a recipe is being edited: where you are, and the way back."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recipe_breadcrumb")
        self.setStyleSheet(
            "#recipe_breadcrumb { background: #3a3220; } QLabel { color: #f0d8a0; padding: 3px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        self.back = QPushButton("◀ Back")
        self.back.setObjectName("recipe_back")
        self.back.setToolTip("Back to the workflow around this recipe (Ctrl+Shift+Up)")
        self.label = QLabel("")
        self.label.setTextFormat(Qt.RichText)
        row.addWidget(self.back)
        row.addWidget(self.label, 1)
        self.hide()

    def show_path(self, names: list[str], note: str) -> None:
        self.setVisible(bool(names))
        safe = [html.escape(n[:80]) for n in names]  # titles are the user's text, not markup
        crumbs = " &nbsp;›&nbsp; ".join(
            f"<b>{n}</b>" if i == len(safe) - 1 else n for i, n in enumerate(safe)
        )
        self.label.setText(f"{crumbs} &nbsp; <span style='color:#c8b890'>{note}</span>")


class RecipeActions(QObject):
    def __init__(self, win: Any) -> None:  # the MainWindow (which imports this module)
        super().__init__(win)
        self.win = win
        self.doc = win.doc
        # hooks tests replace to answer dialogs
        self.ask_name = self._ask_name
        self.ask_link_path = self._ask_link_path
        self.confirm_update = self._confirm_update

    # -- making, expanding ---------------------------------------------------------------------
    def make(self, ids: list[str] | None = None) -> str | None:
        """The selected nodes become one recipe node (embedded), connected where they were."""
        ids = list(ids if ids is not None else self.win.bridge.selected_ids())
        if not ids:
            self.win.say("Select the nodes to make a recipe of.", error=True)
            return None
        name = self.ask_name("Make recipe", "Name of the recipe:", _suggest(self.doc.wf, ids))
        if not name:
            return None
        name = _clean(name)
        if name in self.doc.wf.recipes:
            self.win.say(
                f"This workflow already has a recipe named {name!r}; choose another name.",
                error=True,
            )
            return None
        try:
            recipe, after = recipes.make(self.doc.wf, set(ids), self.win.registry, name=name)
        except ValueError as e:
            self.win.say(str(e), error=True)
            return None
        inst = next(
            n.id
            for n in after.nodes
            if n.type == recipes.TYPE and n.params.get("source") == recipes.EMBEDDED + name
        )
        after.node(inst).ui["recipe_seen"] = recipes.digest(recipe)  # type: ignore[union-attr]
        self.doc.change_whole(after, f"make recipe {name}")
        self.win.bridge.select([inst])
        iface = recipe.interface
        assert iface is not None
        self.win.say(
            f"Recipe {name}: {len(recipe.nodes)} nodes; in: "
            f"{', '.join(i.name for i in iface.inputs) or 'none'}; out: "
            f"{', '.join(o.name for o in iface.outputs) or 'none'}. Double-click it to edit inside."
        )
        return inst

    def expand(self, node_id: str) -> list[str]:
        try:
            after, new = recipes.inline(self.doc.wf, node_id, self.win.registry, self.doc.base_dir)
        except (ValueError, Exception) as e:  # noqa: BLE001 - said, never raised into Qt
            self.win.say(f"Cannot expand {node_id}: {e}", error=True)
            return []
        self.doc.change_whole(after, f"expand {node_id}")
        self.win.bridge.select(new)
        return new

    # -- inside ----------------------------------------------------------------------------------
    def enter(self, node_id: str) -> bool:
        problem = self.doc.enter(node_id)
        if problem:
            self.win.say(problem, error=True)
            return False
        self.win.say(
            "Editing the recipe: changes apply to every use of it. Back (Ctrl+Shift+Up) "
            "returns to the workflow."
        )
        return True

    def exit(self) -> None:
        if self.doc.levels:
            self.doc.exit()

    def crumb_note(self) -> str:
        if not self.doc.levels:
            return ""
        source = self.doc.levels[-1].source
        where = (
            "embedded in this workflow"
            if source.startswith(recipes.EMBEDDED)
            else html.escape(f"{self.doc.path} (saved when you go back)")
        )
        iface = self.doc.wf.interface
        ports = ""
        if iface is not None:
            ins = ", ".join(
                f"{i.name} → {'/'.join(f'{n}.{p}' for n, p in i.to)}" for i in iface.inputs
            )
            outs = ", ".join(f"{o.name} ← {o.src[0]}.{o.src[1]}" for o in iface.outputs)
            ins, outs = html.escape(ins[:300]), html.escape(outs[:300])
            ports = f"<br>in: {ins or '-'} &nbsp; out: {outs or '-'} &nbsp; (right-click a setting to expose it)"
        return where + ports

    def expose(self, node_id: str, param: str) -> bool:
        """While editing a recipe: show ``node_id.param`` on its instances."""
        wf = self.doc.wf
        if not self.doc.levels or wf.interface is None:
            self.win.say(
                "Expose works inside a recipe: double-click a recipe node first.", error=True
            )
            return False
        name = self.ask_name("Expose on recipe", f"Name of {node_id}.{param} on the recipe:", param)
        if not name:
            return False
        after = recipes.expose(wf, node_id, param, _clean(name))
        self.doc.change_whole(after, f"expose {node_id}.{param}")
        self.win.say(f"{node_id}.{param} is a setting of the recipe now.")
        return True

    # -- linked, embedded, library ------------------------------------------------------------
    def embed(self, node_id: str) -> None:
        try:
            after = recipes.embed(self.doc.wf, node_id, self.doc.base_dir, self.win.registry)
        except (ValueError, Exception) as e:  # noqa: BLE001
            self.win.say(f"Cannot embed: {e}", error=True)
            return
        self._seen(after, node_id)
        self.doc.change_whole(after, f"embed the recipe of {node_id}")

    def link_to_file(self, node_id: str) -> None:
        path = self.ask_link_path(node_id)
        if path is None:
            return
        try:
            after = recipes.link(
                self.doc.wf, node_id, Path(path), self.doc.base_dir, self.win.registry
            )
        except (ValueError, OSError, Exception) as e:  # noqa: BLE001
            self.win.say(f"Cannot write the recipe: {e}", error=True)
            return
        self._seen(after, node_id)
        self.doc.change_whole(after, f"link {node_id} to {Path(path).name}")

    def save_to_library(self, node_id: str) -> None:
        node = self.doc.wf.node(node_id)
        if node is None:
            return
        source = node.params.get("source", "")
        default = _clean(Path(str(source).split(":", 1)[-1]).stem or node_id)
        name = self.ask_name("Save recipe to library", "Name in your recipe library:", default)
        if not name:
            return
        name = _clean(name)
        dest = recipes.user_library() / f"{name}.json"
        if (
            dest.exists()
            and QMessageBox.question(
                self.win, "Save recipe", f"Your library has a recipe {name!r}. Replace it?"
            )
            != QMessageBox.Yes
        ):
            return
        try:
            loaded = recipes.load(
                str(source),
                base_dir=self.doc.base_dir,
                embedded=self.doc.wf.recipes,
                pin=node.params.get("pin"),
            )
            dest.parent.mkdir(parents=True, exist_ok=True)
            wf = recipes.absolutized(
                loaded.wf, self.win.registry, loaded.folder, self.doc.wf.recipes
            )
            wf.name = wf.name if wf.name not in ("", "untitled", "r") else name
            save_workflow(wf, dest)
        except (ValueError, OSError, Exception) as e:  # noqa: BLE001
            self.win.say(f"Cannot save the recipe: {e}", error=True)
            return
        after = self.doc.wf.clone()
        inst = after.node(node_id)
        assert inst is not None
        inst.params = {**inst.params, "source": recipes.LIBRARY + name, "pin": None}
        old = str(source).removeprefix(recipes.EMBEDDED)
        if str(source).startswith(recipes.EMBEDDED) and not any(
            n.params.get("source") == source for n in after.nodes if n.id != node_id
        ):
            after.recipes.pop(old, None)
        self._seen(after, node_id)
        self.doc.change_whole(after, f"save recipe {name} to the library")
        self.win.palette.refresh_recipes()
        self.win.say(
            f"Saved {name} to your recipe library ({dest}); it is in the palette under Recipes."
        )

    # -- a linked recipe that changed ----------------------------------------------------------
    def status(self, node_id: str) -> tuple[str, list[str]]:
        """("", []) when the instance is up to date; else a one-line notice and what changed."""
        node = self.doc.wf.node(node_id)
        if node is None or node.type != recipes.TYPE:
            return "", []
        try:
            info = self.doc.recipe_ports(node_id)
        except Exception:  # noqa: BLE001 - the node shows why it cannot be read
            return "", []
        seen = node.ui.get("recipe_seen")
        pin = node.params.get("pin")
        if pin and info.digest != info.current:
            return "keeps an older version of its recipe (the file has changed)", self._diff(
                pin, info.current
            )
        if seen and seen != info.current:
            return "its recipe changed since this shot last used it", self._diff(seen, info.current)
        return "", []

    def _diff(self, old: str, new: str) -> list[str]:
        a, b = recipes.remembered(old), recipes.remembered(new)
        if a is None or b is None:
            return ["(the earlier version is not on this machine: no detail)"]
        return recipes.diff(a, b) or ["only positions on the canvas"]

    def update(self, node_id: str) -> None:
        """Follow the recipe as it is now (clears a pin)."""
        node = self.doc.wf.node(node_id)
        if node is None:
            return
        notice, changes = self.status(node_id)
        if notice and not self.confirm_update(node_id, changes):
            return
        info = self.doc.recipe_ports(node_id)
        after = self.doc.wf.clone()
        inst = after.node(node_id)
        assert inst is not None
        inst.params = {**inst.params, "pin": None}
        inst.ui = {**inst.ui, "recipe_seen": info.current}
        self.doc.change_whole(after, f"update {node_id} to its recipe")
        self.win.bridge.refresh_recipe(node_id)

    def update_all(self, node_id: str) -> None:
        """Update every instance that uses the same recipe as ``node_id`` (one undo step)."""
        node = self.doc.wf.node(node_id)
        if node is None:
            return
        source = node.params.get("source")
        ids = [
            n.id
            for n in self.doc.wf.nodes
            if n.type == recipes.TYPE and n.params.get("source") == source and self.status(n.id)[0]
        ]
        _, changes = self.status(node_id)
        if not ids or not self.confirm_update(", ".join(ids), changes):
            return
        info = self.doc.recipe_ports(node_id)
        after = self.doc.wf.clone()
        for i in ids:
            inst = after.node(i)
            assert inst is not None
            inst.params = {**inst.params, "pin": None}
            inst.ui = {**inst.ui, "recipe_seen": info.current}
        self.doc.change_whole(after, f"update {len(ids)} shot(s) to their recipe")
        for i in ids:
            self.win.bridge.refresh_recipe(i)
        self.mark_changed()

    def note_run(self) -> None:
        """After a run: the instances that follow their recipe used it as it is now, so they no
        longer say it changed (one undo step, only when something is to note)."""
        after = self.doc.wf.clone()
        noted = []
        for n in after.nodes:
            if n.type != recipes.TYPE or n.params.get("pin"):
                continue
            try:
                current = self.doc.recipe_ports(n.id).current
            except Exception:  # noqa: BLE001
                continue
            if n.ui.get("recipe_seen") != current:
                n.ui = {**n.ui, "recipe_seen": current}
                noted.append(n.id)
        if noted:
            self.doc.change_whole(after, "note the recipe versions the run used")
            self.mark_changed()

    def keep_old(self, node_id: str) -> None:
        """Pin the instance to the version it last used."""
        node = self.doc.wf.node(node_id)
        if node is None:
            return
        seen = node.ui.get("recipe_seen")
        if not seen or recipes.remembered(seen) is None:
            self.win.say(
                f"{node_id}: the version it used is not on this machine; it can only follow "
                "the recipe as it is.",
                error=True,
            )
            return
        after = self.doc.wf.clone()
        inst = after.node(node_id)
        assert inst is not None
        inst.params = {**inst.params, "pin": seen}
        self.doc.change_whole(after, f"{node_id}: keep its recipe version")
        self.win.bridge.refresh_recipe(node_id)

    def _seen(self, wf, node_id: str) -> None:
        node = wf.node(node_id)
        try:
            p = recipes.RecipeParams.model_validate(node.params)
            loaded = recipes.load(
                p.source, base_dir=self.doc.base_dir, embedded=wf.recipes, pin=p.pin
            )
            node.ui = {**node.ui, "recipe_seen": loaded.current}
        except Exception:  # noqa: BLE001 - the notice just will not show
            pass

    def mark_changed(self) -> None:
        """Say on every instance whose linked recipe changed that it did."""
        for node in self.doc.wf.nodes:
            if node.type != recipes.TYPE:
                continue
            notice, _ = self.status(node.id)
            item = self.win.bridge.item(node.id)
            if item is None:
                continue
            pinned = bool(node.params.get("pin"))
            if notice and not pinned:
                item.set_state("recipe", None, "Update or keep it, in Properties")
            elif item.state == "recipe":
                item.set_state(None)

    # -- dialogs -----------------------------------------------------------------------------------
    def _ask_name(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self.win, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def _ask_link_path(self, node_id: str) -> str | None:
        name, _ = QFileDialog.getSaveFileName(
            self.win,
            "Link to a recipe file",
            str(self.doc.base_dir / f"{node_id}.json"),
            "Reelgraph recipes (*.json)",
        )
        return name or None

    def _confirm_update(self, node_id: str, changes: list[str]) -> bool:
        box = QMessageBox(self.win)
        box.setWindowTitle("Update to the recipe as it is now")
        box.setText(f"{node_id}: what changed in its recipe")
        box.setDetailedText("\n".join(changes))
        box.setInformativeText("\n".join(changes[:12]) + ("\n..." if len(changes) > 12 else ""))
        box.setStandardButtons(QMessageBox.Ok | QMessageBox.Cancel)
        box.button(QMessageBox.Ok).setText("Update")
        return box.exec() == QMessageBox.Ok


def _clean(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_ -]+", "_", name).strip().replace(" ", "_")[:60] or "recipe"


def _suggest(wf, ids: list[str]) -> str:
    name, n = "recipe", 2
    while name in wf.recipes:
        name, n = f"recipe_{n}", n + 1
    return name
