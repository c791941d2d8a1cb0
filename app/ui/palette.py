"""The node palette (searchable by name and description, drag onto the canvas or double-click),
the Tab quick-add popup at the cursor, and the port colour legend."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import recipes
from app.core.fileio import load_workflow
from app.core.node import NodeType
from app.core.ports import PORT_COLOURS
from app.core.registry import Registry
from app.ui.graph import MIME_NODE

CATEGORY_ORDER = ["Inputs", "Motion", "Generate", "Finish", "Output", "Recipes", "Utility"]
RECIPE_PREFIX = "recipe:"  # a palette entry "recipe:library:NAME" adds a recipe node using it


# words people type for what the catalog calls otherwise ("load image" finds Reference image)
SYNONYMS = {
    "image": ("image", "still", "picture", "photo", "frame"),
    "still": ("image", "still", "picture"),
    "picture": ("image", "still", "picture"),
    "photo": ("image", "still", "picture"),
    "load": ("load", "open", "reference", "read", "file"),
    "open": ("load", "open", "reference", "file"),
    "video": ("video", "clip", "movie", "shot"),
    "clip": ("video", "clip"),
    "movie": ("video", "clip"),
    "sound": ("audio", "sound", "voice", "dialogue"),
    "audio": ("audio", "sound", "voice"),
    "voice": ("audio", "voice", "lip"),
    "save": ("export", "save", "render", "write"),
    "render": ("export", "render", "generator"),
    "write": ("export", "write"),
    "output": ("export", "output"),
    "text": ("prompt", "text"),
    "camera": ("camera", "move", "pan", "zoom"),
    "move": ("camera", "motion", "move"),
    "animate": ("generator", "motion", "animate"),
    "generate": ("generator", "generate"),
    "model": ("generator", "model"),
    "upres": ("upscale",),
    "upscale": ("upscale", "resolution"),
    "mask": ("mask", "brush", "motion"),
    "brush": ("brush", "motion"),
    "lipsync": ("lip",),
    "lip": ("lip",),
    "ab": ("compare",),
    "wipe": ("compare",),
    "last": ("last", "final", "end"),
    "end": ("last", "end"),
}


def matches(nt: NodeType, query: str) -> bool:
    """Every word of the query (or one of its synonyms) is in the node's name or description."""
    words = query.lower().split()
    hay = f"{nt.title} {nt.id.replace('_', ' ')} {nt.category} {nt.description}".lower()
    return all(any(s in hay for s in SYNONYMS.get(w, (w,))) for w in words)


def rank(nt: NodeType, query: str) -> tuple[int, int, str]:
    """Nodes whose name says the words (or their synonyms) first, then name prefixes."""
    q = query.lower().strip()
    title = nt.title.lower()
    name = f"{title} {nt.id.replace('_', ' ')}"
    hits = sum(any(s in name for s in SYNONYMS.get(w, (w,))) for w in q.split())
    return (
        -hits,
        0 if title.startswith(q) or nt.id.startswith(q) else 1 if q in title else 2,
        title,
    )


class _Tree(QTreeWidget):
    def startDrag(self, actions) -> None:  # noqa: N802
        item = self.currentItem()
        type_id = item.data(0, Qt.UserRole) if item else None
        if not type_id:
            return
        md = QMimeData()
        md.setData(MIME_NODE, type_id.encode())
        drag = QDrag(self)
        drag.setMimeData(md)
        drag.exec(Qt.CopyAction)


class Palette(QWidget):
    add_requested = Signal(str)  # type id

    def __init__(self, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search nodes (name or what they do)")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.search.textChanged.connect(self._fill)
        self.search.returnPressed.connect(self._add_first)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(Legend())
        self._fill("")

    def _fill(self, query: str) -> None:
        self.tree.clear()
        cats: dict[str, QTreeWidgetItem] = {}
        types = sorted(
            self.registry,
            key=lambda t: (
                CATEGORY_ORDER.index(t.category) if t.category in CATEGORY_ORDER else 99,
                t.title,
            ),
        )
        for nt in types:
            if query and not matches(nt, query):
                continue
            cat = cats.get(nt.category)
            if cat is None:
                cat = cats[nt.category] = QTreeWidgetItem(self.tree, [nt.category])
                cat.setFlags(Qt.ItemIsEnabled)
                cat.setExpanded(True)
            item = QTreeWidgetItem(cat, [nt.title])
            item.setData(0, Qt.UserRole, nt.id)
            item.setToolTip(0, f"<b>{nt.title}</b> ({nt.id})<br>{nt.description}")
        if self.registry.get("recipe") is not None:
            self._fill_recipes(query, cats)
        self.tree.expandAll()

    def refresh_recipes(self) -> None:
        self._library = None
        self._fill(self.search.text())

    def _fill_recipes(self, query: str, cats: dict[str, QTreeWidgetItem]) -> None:
        """The recipe library (yours and the shipped ones), in the Recipes category."""
        if getattr(self, "_library", None) is None:
            self._library = library_items()
        words = query.lower().split()
        for name, title, tip in self._library or []:
            hay = f"{title} {tip.splitlines()[0]} recipe".lower()  # its name and what it is
            if words and not all(w in hay for w in words):
                continue
            cat = cats.get("Recipes")
            if cat is None:
                cat = cats["Recipes"] = QTreeWidgetItem(self.tree, ["Recipes"])
                cat.setFlags(Qt.ItemIsEnabled)
            item = QTreeWidgetItem(cat, [f"{title}  (recipe)"])
            item.setData(0, Qt.UserRole, f"{RECIPE_PREFIX}library:{name}")
            item.setToolTip(0, tip.replace("\n", "<br>"))

    def visible_types(self) -> list[str]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            cat = self.tree.topLevelItem(i)
            out += [cat.child(j).data(0, Qt.UserRole) for j in range(cat.childCount())]
        return out

    def _activated(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, Qt.UserRole)
        if type_id:
            self.add_requested.emit(type_id)

    def _add_first(self) -> None:
        types = self.visible_types()
        if types:
            self.add_requested.emit(types[0])


class QuickAdd(QFrame):
    """Tab on the canvas: type to filter, Enter adds the highlighted node at the cursor."""

    chosen = Signal(str, tuple)  # type id, scene position

    def __init__(self, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.Popup)
        self.registry = registry
        self.setFrameShape(QFrame.StyledPanel)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Add node...")
        self.list = QListWidget()
        self.list.setMinimumWidth(300)
        self.list.setMaximumHeight(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.edit.textChanged.connect(self._fill)
        self.edit.returnPressed.connect(self._choose)
        self.list.itemActivated.connect(lambda *_: self._choose())
        self.edit.installEventFilter(self)
        self.scene_pos: tuple[float, float] = (0.0, 0.0)
        self.only: set[str] | None = None
        self.why = ""

    def open_at(
        self,
        global_pos: QPoint,
        scene_pos: tuple[float, float],
        only: set[str] | None = None,
        why: str = "",
    ) -> None:
        """``only``: the node types that fit (a wire dropped on the canvas: those with a port
        that takes it), said in ``why``."""
        self.scene_pos = scene_pos
        self.only, self.why = only, why
        self.edit.clear()
        self.edit.setPlaceholderText(f"Add node {why}..." if why else "Add node...")
        self._fill("")
        self.move(global_pos)
        self.show()
        self.edit.setFocus()

    def _fill(self, query: str) -> None:
        self.list.clear()
        only = getattr(self, "only", None)
        types = [
            t
            for t in self.registry
            if (not query or matches(t, query)) and (only is None or t.id in only)
        ]
        for nt in sorted(types, key=lambda t: rank(t, query)):
            item = QListWidgetItem(f"{nt.title}    ({nt.category})")
            item.setData(Qt.UserRole, nt.id)
            item.setToolTip(nt.description)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:  # say so, rather than an empty list
            where = f" {getattr(self, 'why', '')}" if only is not None else ""
            item = QListWidgetItem(
                f"no node matches '{query}'{where}" if query else f"no node fits{where}"
            )
            item.setFlags(Qt.NoItemFlags)
            self.list.addItem(item)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        from PySide6.QtCore import QEvent

        if (
            obj is self.edit
            and event.type() == QEvent.KeyPress
            and event.key() in (Qt.Key_Down, Qt.Key_Up)
        ):
            row = self.list.currentRow() + (1 if event.key() == Qt.Key_Down else -1)
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
            return True
        return super().eventFilter(obj, event)

    def _choose(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(Qt.UserRole):
            self.chosen.emit(item.data(Qt.UserRole), self.scene_pos)
        self.hide()


class Legend(QWidget):
    """Port colours by data type."""

    def __init__(self) -> None:
        super().__init__()
        grid = QGridLayout(self)
        grid.setContentsMargins(2, 6, 2, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        title = QLabel("Port types")
        title.setStyleSheet("color: #999;")
        grid.addWidget(title, 0, 0, 1, 4)
        for i, (ptype, rgb) in enumerate(PORT_COLOURS.items()):
            pm = QPixmap(10, 10)
            pm.fill(QColor(*rgb))
            dot = QLabel()
            dot.setPixmap(QIcon(pm).pixmap(10, 10))
            name = QLabel(ptype.value.lower())
            row, col = 1 + i // 2, (i % 2) * 2
            grid.addWidget(dot, row, col)
            grid.addWidget(name, row, col + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)


def library_items() -> list[tuple[str, str, str]]:
    """(name, title, tooltip) of every recipe in the library, for the palette."""
    out = []
    for item in recipes.library():
        try:
            wf = load_workflow(item.path)
        except Exception:  # noqa: BLE001 - a broken file is left out of the palette
            continue
        iface = wf.interface
        if iface is None:
            continue
        tip = (
            f"{wf.name}\nin: {', '.join(i.name for i in iface.inputs) or '-'}"
            f"\nsettings: {', '.join(p.name for p in iface.params) or '-'}"
            f"\n{'shipped' if item.shipped else 'your library'}: {item.path}"
        )
        out.append((item.name, item.name.replace("_", " "), tip))
    return out
