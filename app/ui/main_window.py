"""The editor's main window: palette | canvas | properties, preview and log docks, toolbar,
menus, status bar; runs, files, autosave and recovery."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import platformdirs
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPixmap, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core import edits, recipes
from app.core.cache import Cache
from app.core.errors import WorkflowError
from app.core.events import Event
from app.core.executor import RunResult
from app.core.ports import PortType
from app.core.registry import Registry, default_registry
from app.core.resources import data_dir
from app.core.validate import build_graph
from app.core.values import Value, expand_takes
from app.core.workflow import Link, Workflow
from app.ui.document import Document, open_any
from app.ui.graph import GraphBridge
from app.ui.node_item import THUMB_H, THUMB_W
from app.ui.palette import RECIPE_PREFIX, Palette, QuickAdd
from app.ui.preview import PreviewPanel
from app.ui.properties import PropertiesPanel, _resolve, field_kind
from app.ui.recipes_ui import Breadcrumb, RecipeActions
from app.ui.run_controller import RunController
from app.ui.sequence_view import SequencePanel
from app.ui.session import (
    Autosaver,
    Recovery,
    add_recent,
    leftovers,
    recent_files,
    record_runs,
    run_history,
)
from app.ui.thumbs import FrameLoader, preview_value
from app.ui.viewer import Source, ViewerPanel, describe

TEMPLATES = data_dir("workflows")
AUTOSAVE_MS = 30_000
FILE_FILTER = "Reelgraph workflows (*.json);;Renders with a workflow (*.mp4 *.mov *.webm *.png);;All files (*)"


class MainWindow(QMainWindow):
    _peeked = Signal(
        int, object, str
    )  # generation, {node: outputs}, error: a cache lookup's answer
    _drawn = Signal(str, object)  # node id, QImage (or the error text) of a drawn preview

    def __init__(self, registry: Registry | None = None, cache: Cache | None = None) -> None:
        super().__init__()
        self.registry = registry or default_registry()
        self.doc = Document(self.registry, self)
        self.bridge = GraphBridge(self.doc, self.registry, self)
        self.runner = RunController(self.registry, cache, self)
        self.autosaver = Autosaver()
        self.outputs: dict[str, dict[str, Value]] = {}  # node -> its current outputs (run or cache)
        self.thumbs = FrameLoader(24, (THUMB_W * 2, THUMB_H * 2), parent=self)
        self.thumbs.ready.connect(self._thumb_ready)
        # hooks tests replace to answer dialogs
        self.ask_save: Callable[[], str] = self._ask_save
        self.ask_restore: Callable[[Recovery], str] = self._ask_restore
        self.confirm_cost: Callable[[float, dict[str, float]], bool] = self._confirm_cost

        self.setWindowTitle(f"Reelgraph {__version__}")
        self.resize(1500, 900)
        self.setDockNestingEnabled(True)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.crumb = Breadcrumb()
        column.addWidget(self.crumb)
        column.addWidget(self.bridge.graph.widget, 1)
        self.setCentralWidget(central)
        self.recipes = RecipeActions(self)
        self.palette = Palette(self.registry)
        self.props = PropertiesPanel(self.doc, self.registry)
        from app.ui.editors import register
        from app.ui.editors.context import EditorContext

        register()
        self.open_editor: QWidget | None = None  # the brush/camera/lip-sync editor last opened
        self.editor_context = EditorContext(
            self, self.doc, self.registry, self.runner.executor, self.out_dir
        )
        self.props.editor_context = self.editor_context
        self.props.add_comfy = self.add_comfy_workflow
        self.props.recipe_actions = self.recipes
        self.preview = PreviewPanel()
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        self.quick_add = QuickAdd(self.registry, self)
        self._dock("Nodes", self.palette, Qt.LeftDockWidgetArea, 230)
        self._props_dock = self._dock("Properties", self.props, Qt.RightDockWidgetArea, 400)
        preview_dock = self._dock("Preview", self.preview, Qt.RightDockWidgetArea, 360)
        self._log_dock = self._dock("Log", self.log, Qt.BottomDockWidgetArea, 0)
        self.viewer = ViewerPanel(selected_take=self._selected_take)
        self.viewer.use_take.connect(self.use_take)
        self._viewer_dock = self._dock("Viewer", self.viewer, Qt.BottomDockWidgetArea, 0)
        self.tabifyDockWidget(self._log_dock, self._viewer_dock)
        self.sequence = SequencePanel(self.registry, self.runner.executor.cache)
        self.sequence.open_shot.connect(lambda p: self.open_path(Path(p)))
        self.sequence.play_cut.connect(self.play_cut)
        self.sequence.confirm_cost = lambda total, costs: self.confirm_cost(total, costs)
        self._sequence_dock = self._dock("Sequence", self.sequence, Qt.BottomDockWidgetArea, 0)
        self.tabifyDockWidget(self._log_dock, self._sequence_dock)
        self._log_dock.raise_()
        self._preview_dock = preview_dock
        self._sized = False
        self.status_label = QLabel("Ready")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self._build_actions()
        self._wire()
        self._peek_generation = 0
        self._peek_busy = False
        self._peeked.connect(self._peek_done, Qt.QueuedConnection)
        self._drawn.connect(self._drawn_done, Qt.QueuedConnection)
        self._drawn_gen: dict[str, int] = {}
        # a linked recipe changed on disk (another window, a colleague, the library): say so
        self._recipe_watch = QTimer(self)
        self._recipe_watch.setInterval(3000)
        self._recipe_watch.timeout.connect(self._watch_recipes)
        self._recipe_watch.start()
        self._peek_timer = QTimer(self)
        self._peek_timer.setSingleShot(True)
        self._peek_timer.setInterval(400)
        self._peek_timer.timeout.connect(self.refresh_previews)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.setAcceptDrops(True)
        self._update_title()

    # -- layout ---------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # dock sizes only take once the window has its size
            self._sized = True
            if self.restore_layout():
                return
            # Properties gets the larger share of the right column (all of a node's fields in
            # view), the Preview the rest; the log stays a strip
            self.resizeDocks(
                [self._props_dock, self._preview_dock, self._log_dock],
                [max(380, int(self.height() * 0.55)), max(260, int(self.height() * 0.3)), 110],
                Qt.Vertical,
            )
            self.resizeDocks([self._props_dock], [400], Qt.Horizontal)

    def _dock(self, title: str, widget: QWidget, area, width: int) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if width:
            self.resizeDocks([dock], [width], Qt.Horizontal)
        return dock

    def _action(
        self,
        text: str,
        slot: Callable[..., Any],
        shortcut: Any = None,
        *,
        canvas: bool = False,
        tip: str = "",
    ) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if tip:
            a.setToolTip(tip)
            a.setStatusTip(tip)
        a.triggered.connect(lambda *_: slot())
        if canvas:  # only while the canvas has focus: Delete in a text field edits the text
            a.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.bridge.graph.widget.addAction(a)
        return a

    def _build_actions(self) -> None:
        A = self._action
        self.act_new = A("&New", self.new_workflow, QKeySequence.New)
        self.act_open = A("&Open...", self.open_dialog, QKeySequence.Open)
        self.act_save = A("&Save", self.save, QKeySequence.Save, tip="Save the workflow (Ctrl+S)")
        self.act_save_as = A("Save &As...", self.save_as, QKeySequence.SaveAs)
        self.act_quit = A("&Quit", self.close, QKeySequence.Quit)
        # through a group: inside a recipe, Undo is the recipe's own history
        self.undo_group = QUndoGroup(self)
        self.undo_group.addStack(self.doc.undo)
        self.undo_group.setActiveStack(self.doc.undo)
        self.act_undo = self.undo_group.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([QKeySequence.Undo])
        self.act_redo = self.undo_group.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_copy = A("&Copy", self.copy, QKeySequence.Copy, canvas=True)
        self.act_paste = A("&Paste", self.paste, QKeySequence.Paste, canvas=True)
        self.act_cut = A("Cu&t", self.cut, QKeySequence.Cut, canvas=True)
        self.act_duplicate = A("&Duplicate", self.duplicate, "Ctrl+D", canvas=True)
        self.act_delete = A(
            "&Delete",
            self.delete_selected,
            [QKeySequence.Delete, QKeySequence(Qt.Key_Backspace)],
            canvas=True,
        )
        self.act_select_all = A(
            "Select &all", self.bridge.graph.select_all, QKeySequence.SelectAll, canvas=True
        )
        self.act_backdrop = A(
            "Add &backdrop around selection", lambda: self.add_backdrop(), "Ctrl+G", canvas=True
        )
        self.act_rename = A("Re&name...", self.rename_selected, "F2", canvas=True)
        self.act_make_recipe = A(
            "Make &recipe",
            lambda: self.recipes.make(),
            "Ctrl+Shift+G",
            canvas=True,
            tip="The selected nodes become one recipe node (Ctrl+Shift+G); links crossing the "
            "selection become its inputs and outputs",
        )
        self.act_exit_recipe = A(
            "&Back out of the recipe",
            lambda: self.recipes.exit(),
            "Ctrl+Shift+Up",
            tip="Back to the workflow around the recipe being edited",
        )
        self.act_frame_all = A("Frame &all", self.bridge.frame_all, "F", canvas=True)
        self.act_frame_sel = A(
            "Frame &selection", self.bridge.frame_selection, "Shift+F", canvas=True
        )
        self.act_layout = A("Auto &layout", self.auto_layout, "Ctrl+L", canvas=True)
        self.act_quick_add = A("Add node...", self.open_quick_add)
        self.act_bypass = A(
            "&Bypass",
            lambda: self.doc.toggle_mode(self.bridge.selected_ids(), "bypass"),
            "Ctrl+B",
            canvas=True,
            tip="Pass the node's input straight through (Ctrl+B again to switch it back)",
        )
        self.act_mute = A(
            "&Mute",
            lambda: self.doc.toggle_mode(self.bridge.selected_ids(), "mute"),
            "Ctrl+M",
            canvas=True,
            tip="The node does not run, nor what requires its output; an optional input it fed is left "
            "empty (Ctrl+M again to switch it back)",
        )
        self.act_settings = A("&Settings...", self.open_settings, QKeySequence.Preferences)
        self.act_add_comfy = A(
            "Add ComfyUI workflow...",
            self.add_comfy_workflow,
            tip="Use a workflow exported from ComfyUI (Export (API)) as a generator template",
        )
        self.act_help = A(
            "&Node reference",
            self.show_help,
            QKeySequence.HelpContents,
            tip="The reference of the selected node (F1), or of every node",
        )
        self.act_about = A("&About Reelgraph", self.show_about)
        self.act_welcome = A("&Welcome screen", self.show_welcome)
        self.act_run = A(
            "Run", self.run_all, "Ctrl+Return", tip="Run the whole workflow (Ctrl+Enter)"
        )
        self.act_run_sel = A(
            "Run selected",
            self.run_selected,
            "Ctrl+Shift+Return",
            tip="Run only what the selected nodes need",
        )
        self.act_stop = A(
            "Stop", self.stop, "Ctrl+.", tip="Cancel the run, including work in progress"
        )
        self.act_stop.setEnabled(False)

        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addActions([self.act_new])
        self.template_menu = m.addMenu("New from &template")
        for f in sorted(TEMPLATES.glob("*.json")):
            self.template_menu.addAction(
                f.stem.replace("_", " "), lambda f=f: self.new_from_template(f)
            )
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions(
            [self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete]
        )
        m.addSeparator()
        m.addActions([self.act_select_all, self.act_rename, self.act_backdrop, self.act_quick_add])
        m.addActions([self.act_bypass, self.act_mute])
        m.addSeparator()
        m.addActions([self.act_make_recipe, self.act_exit_recipe])
        m.addSeparator()
        m.addActions([self.act_settings, self.act_add_comfy])
        m = mb.addMenu("&View")
        m.addActions([self.act_frame_all, self.act_frame_sel, self.act_layout])
        m.addSeparator()
        for dock in self.findChildren(QDockWidget):
            m.addAction(dock.toggleViewAction())
        m = mb.addMenu("&Run")
        m.addActions([self.act_run, self.act_run_sel, self.act_stop])
        m = mb.addMenu("&Help")
        m.addActions([self.act_help, self.act_welcome])
        m.addAction("Documentation folder", self.open_docs)
        m.addSeparator()
        m.addAction(self.act_about)

        tb = self.addToolBar("Main")
        tb.setObjectName("toolbar_main")
        tb.setMovable(False)
        tb.addActions([self.act_run, self.act_run_sel, self.act_stop])
        tb.addSeparator()
        tb.addActions([self.act_save, self.act_undo, self.act_redo])
        tb.addSeparator()
        tb.addAction(self.act_frame_all)
        for a in (
            self.act_undo,
            self.act_redo,
            self.act_quick_add,
            self.act_run,
            self.act_run_sel,
            self.act_stop,
            self.act_help,
        ):
            self.addAction(a)

    def _wire(self) -> None:
        d, b = self.doc, self.bridge
        d.undo.cleanChanged.connect(self._update_title)
        d.stack_changed.connect(self._stack_changed)
        self.crumb.back.clicked.connect(self.recipes.exit)
        d.path_changed.connect(self._update_title)
        d.refused.connect(self._refused)
        b.status.connect(self._refused)
        b.selection_changed.connect(self._selection_changed)
        b.node_activated.connect(self._activated)
        b.viewer.quick_add.connect(lambda p: self.open_quick_add((p.x(), p.y())))
        b.viewer.wire_dropped.connect(self._wire_dropped)
        b.viewer.pipe_double_clicked.connect(self._add_reroute)
        b.viewer.node_type_dropped.connect(lambda t, p: self._add_and_select(t, (p.x(), p.y())))
        b.viewer.files_dropped.connect(self.open_dropped)
        b.viewer.context_requested.connect(self._context_menu)
        self.palette.add_requested.connect(self._add_from_palette)
        self.quick_add.chosen.connect(self._quick_added)
        for sig in (
            d.node_added,
            d.node_removed,
            d.params_changed,
            d.link_added,
            d.link_removed,
            d.mode_changed,
        ):
            sig.connect(self._changed)
        d.params_changed.connect(self._input_preview)
        d.node_added.connect(self._input_preview)
        d.link_added.connect(lambda lk: self._input_preview(lk.dst[0]))
        d.node_removed.connect(self._node_removed)
        d.reset.connect(self._after_reset)
        self.runner.event.connect(self._on_event)
        self.runner.finished.connect(self._on_finished)
        self.runner.refused.connect(self._on_refused)
        self.runner.crashed.connect(
            lambda msg: self._run_ended(f"The run stopped on an internal error: {msg}", True)
        )
        from app.providers.catalog import user_warning

        if user_warning():  # the user's models.json could not be used: say so once, at the start
            self.log_line("warning: " + user_warning(), "#c8a060")

    # -- messages ---------------------------------------------------------------------------------------
    def say(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #f08080;" if error else "")
        self.log_line(text, "#f08080" if error else None)

    def log_line(self, text: str, colour: str | None = None) -> None:
        from html import escape

        self.log.appendHtml(
            f"<span style='color:{colour}'>{escape(text)}</span>" if colour else escape(text)
        )

    def _refused(self, message: str) -> None:
        self.say(
            message if message.startswith("Connection refused") else f"Refused: {message}",
            error=True,
        )

    def _changed(self, *_: object) -> None:
        self._peek_timer.start()

    def _node_removed(self, node_id: str) -> None:
        self.outputs.pop(node_id, None)

    def _watch_recipes(self) -> None:
        if not self.runner.running() and any(
            n.type == recipes.TYPE
            and not str(n.params.get("source", "")).startswith(recipes.EMBEDDED)
            for n in self.doc.wf.nodes
        ):
            self.recipes.mark_changed()

    def _stack_changed(self) -> None:
        self.undo_group.addStack(self.doc.undo)
        self.undo_group.setActiveStack(self.doc.undo)
        self.doc.undo.cleanChanged.connect(self._update_title)
        self._update_title()

    def _update_title(self, *_: object) -> None:
        self.setWindowTitle(f"{self.doc.title()}[*] - Reelgraph {__version__}")
        self.setWindowModified(self.doc.dirty)

    # -- files ---------------------------------------------------------------------------------------------
    def _proceed_discarding(self) -> bool:
        """Before replacing the document: offer to save changes. False if the user cancels."""
        self.doc.exit_all()  # a recipe being edited goes back into its workflow first
        if not self.doc.dirty:
            return True
        answer = self.ask_save()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def _ask_save(self) -> str:
        box = QMessageBox(
            QMessageBox.Warning,
            "Unsaved changes",
            f"Save the changes to {self.doc.title()} before closing it?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(box.exec(), "cancel")

    def new_workflow(self) -> None:
        if self._proceed_discarding():
            self.autosaver.discard()
            self.doc.set_workflow(Workflow(name="untitled"), None)

    def new_from_template(self, path: Path) -> None:
        if not self._proceed_discarding():
            return
        try:
            wf = open_any(path)
        except WorkflowError as e:
            self.say(str(e), error=True)
            return
        absolutize(wf, self.registry, path.parent)
        wf.name = f"{wf.name} (from template)"
        self.autosaver.discard()
        self.doc.set_workflow(wf, None)
        self.say(f"New workflow from template {path.name}; Save As to give it a file.")

    def open_dialog(self) -> None:
        start = str(self.doc.base_dir)
        path, _ = QFileDialog.getOpenFileName(self, "Open workflow", start, FILE_FILTER)
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> bool:
        path = Path(path)
        if _is_sequence(path):  # a film: its strip, beside whatever graph is open
            return self.open_sequence(path)
        if not self._proceed_discarding():
            return False
        try:
            wf = open_any(path)
        except WorkflowError as e:
            self.say(f"Cannot open {path.name}: {e}", error=True)
            return False
        self.autosaver.discard()
        if path.suffix.lower() == ".json":
            self.doc.set_workflow(wf, path.resolve())
            add_recent(path)
            self.say(f"Opened {path}")
        else:
            # the graph of a render: a new, unsaved document beside the render
            absolutize(wf, self.registry, path.parent)
            self.doc.set_workflow(wf, None)
            self.say(f"Opened the workflow embedded in {path.name}; Save As to keep it.")
        return True

    def open_sequence(self, path: Path) -> bool:
        try:
            self.sequence.open(Path(path))
        except WorkflowError as e:
            self.say(f"Cannot open {Path(path).name}: {e}", error=True)
            return False
        self._sequence_dock.show()
        self._sequence_dock.raise_()
        self.resizeDocks([self._sequence_dock], [max(260, int(self.height() * 0.34))], Qt.Vertical)
        add_recent(Path(path))
        self.say(f"Opened the sequence {path}: double-click a shot to open its graph")
        return True

    def play_cut(self, path: str) -> None:
        self.viewer.set_sources(
            [Source(Value(PortType.VIDEO, Path(path)), "cut", ["The cut", Path(path).name])]
        )
        self._show_viewer()
        self.viewer.play()  # Play the cut plays it

    def open_dropped(self, files: list[str]) -> None:
        if files:
            self.open_path(Path(files[0]))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        self.open_dropped([u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()])

    def save(self) -> bool:
        if self.doc.levels and self.doc.path is None:
            self.doc.exit_all()  # an embedded recipe is saved with the workflow that holds it
        if self.doc.path is None:
            return self.save_as()
        return self._save_to(self.doc.path)

    def save_as(self) -> bool:
        if self.doc.levels and not self.doc.exit_all():  # Save As saves the workflow, not a recipe
            return False
        start = str(self.doc.path or (Path.cwd() / f"{self.doc.wf.name or 'untitled'}.json"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Save workflow as", start, "Reelgraph workflows (*.json)"
        )
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += ".json"
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            saved = self.doc.save(path)
        except OSError as e:
            self.say(
                f"Could not save {path}: {e}. Your work is still open and autosaved.", error=True
            )
            return False
        add_recent(saved)
        self.autosaver.discard()
        self.say(f"Saved {saved}")
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = [p for p in recent_files() if p.exists()]
        for p in files:
            self.recent_menu.addAction(str(p), lambda p=p: self.open_path(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def autosave(self) -> Path | None:
        if self.doc.any_dirty:
            wf, path = self.doc.folded()
            return self.autosaver.write(wf, path)
        return None

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest unsaved work left behind. True if restored."""
        found = leftovers()
        if not found:
            return False
        rec = found[0]
        answer = self.ask_restore(rec)
        if answer == "restore":
            self.doc.set_workflow(rec.workflow, rec.path, dirty=True)
            self.autosave()  # our own recovery file holds it now
            rec.file.unlink(missing_ok=True)
            self.say(f"Restored unsaved work: {rec.describe()}")
            return True
        if answer == "discard":
            rec.file.unlink(missing_ok=True)
        return False

    def _ask_restore(self, rec: Recovery) -> str:
        box = QMessageBox(
            QMessageBox.Question,
            "Restore unsaved work?",
            f"Reelgraph closed without saving this work:\n\n{rec.describe()}\n\nRestore it?",
            QMessageBox.Yes | QMessageBox.Discard | QMessageBox.Ignore,
            self,
        )
        box.setDefaultButton(QMessageBox.Yes)
        return {QMessageBox.Yes: "restore", QMessageBox.Discard: "discard"}.get(box.exec(), "later")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._proceed_discarding():
            event.ignore()
            return
        self.runner.stop()
        self.runner.wait(10)
        self.viewer.clear()
        self.autosaver.discard()
        self.save_layout()
        event.accept()

    def save_layout(self) -> None:
        """Window size and the docks as the user left them, for the next start."""
        from app.ui.session import state_dir

        try:
            folder = state_dir()
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "layout.bin").write_bytes(
                bytes(self.saveGeometry().toHex()) + b"\n" + bytes(self.saveState().toHex())
            )
        except OSError:
            pass  # a layout is a comfort

    def restore_layout(self) -> bool:
        from PySide6.QtCore import QByteArray

        from app.ui.session import state_dir

        try:
            file = state_dir() / "layout.bin"
            if file.stat().st_size > 1 << 20:
                return False  # not one of ours
            geometry, state = file.read_bytes().split(b"\n", 1)
        except (OSError, ValueError):
            return False
        return self.restoreGeometry(QByteArray.fromHex(geometry)) and self.restoreState(
            QByteArray.fromHex(state)
        )

    # -- editing -----------------------------------------------------------------------------------------
    def _add_and_select(self, type_id: str, pos: tuple[float, float]) -> str:
        if type_id.startswith(RECIPE_PREFIX):  # a recipe from the library
            source = type_id[len(RECIPE_PREFIX) :]
            ui = {}
            try:
                ui["recipe_seen"] = recipes.load(
                    source, base_dir=self.doc.base_dir, embedded={}
                ).current
            except ValueError as e:
                self.say(str(e), error=True)
                return ""
            node_id = self.doc.add_node(
                recipes.TYPE,
                pos,
                {"source": source, "values": {}, "pin": None},
                base_id=source.split(":")[-1],
                ui=ui,
            )
            self.bridge.select([node_id])
            self.bridge.graph.widget.setFocus()
            return node_id
        params = None
        nt = self.registry.get(type_id)
        if nt is not None and "backend" in nt.params.model_fields:  # starts on the user's backend
            from app.providers.settings import load_settings

            default = load_settings().get("default_backend", "local")
            params = {"backend": default} if default != "local" else None
        node_id = self.doc.add_node(type_id, pos, params)
        self.bridge.select([node_id])
        self.bridge.graph.widget.setFocus()
        return node_id

    def _add_from_palette(self, type_id: str) -> None:
        x, y = self.bridge.view_centre()
        n = len(self.doc.wf.nodes) % 6
        self._add_and_select(type_id, (x - 100 + 24 * n, y - 60 + 24 * n))

    def open_quick_add(self, scene_pos: tuple[float, float] | None = None) -> None:
        pos = scene_pos or self.bridge.cursor_scene_pos()
        self._pending_wire = None
        self.quick_add.open_at(self._popup_at(pos), pos)

    def _popup_at(self, scene_pos: tuple[float, float]):
        v = self.bridge.viewer
        return v.viewport().mapToGlobal(v.mapFromScene(QPointF(*scene_pos)))

    def _add_reroute(self, pipe, scene_pos) -> str | None:
        """Double-click on a pipe: a reroute point there, the pipe passing through it (one undo step)."""
        link = self.bridge.link_of_pipe(pipe)
        if link is None:
            return None
        self.doc.undo.beginMacro("add reroute point")
        bend = next((nt.id for nt in self.registry if nt.pass_through), None)
        if bend is None:
            return None
        node_id = self.doc.add_node(bend, (scene_pos.x() - 17, scene_pos.y() - 13))
        problem = self.doc.change_links(
            [link],
            [
                Link.model_validate({"from": list(link.src), "to": [node_id, "in"]}),
                Link.model_validate({"from": [node_id, "out"], "to": list(link.dst)}),
            ],
        )
        self.doc.undo.endMacro()
        if problem:
            self.doc.undo.undo()
            self.say(f"Cannot reroute there: {problem}", error=True)
            return None
        return node_id

    def _free_spot(self, x: float, y: float) -> tuple[float, float]:
        """Moved down past any node it would cover, so a new node never hides another."""
        from PySide6.QtCore import QRectF

        rects = [item.view.sceneBoundingRect() for item in self.bridge.nodes.values()]
        for _ in range(40):
            box = QRectF(x, y, 240, 160)
            hit = [r for r in rects if r.intersects(box)]
            if not hit:
                break
            y = max(r.bottom() for r in hit) + 20
        return x, y

    def _wire_dropped(self, port_item, scene_pos) -> None:
        """A wire let go on empty canvas: search the nodes that take it; the chosen one is added
        there and connected."""
        where = self.bridge.port_of(port_item)
        if where is None:
            return
        fits = self.bridge.fitting_types(*where)
        node_id, port, is_output = where
        why = f"that {'takes' if is_output else 'feeds'} {node_id}.{port}"
        pos = (scene_pos.x(), scene_pos.y())
        self.quick_add.open_at(self._popup_at(pos), pos, only=set(fits), why=why)
        self._pending_wire = (node_id, port, is_output, fits)

    def _quick_added(self, type_id: str, pos: tuple[float, float]) -> None:
        pending, self._pending_wire = getattr(self, "_pending_wire", None), None
        view = self.bridge.viewer.mapToScene(self.bridge.viewer.viewport().rect()).boundingRect()
        if (
            pending is not None
        ):  # a dropped wire: the node starts (or ends) where the wire was let go
            x = pos[0] + 10 if pending[2] else pos[0] - 260
            y = pos[1] - 30
        else:  # the node's middle at the cursor, the whole node in view
            x = min(max(pos[0] - 110, view.left() + 10), view.right() - 250)
            y = min(max(pos[1] - 40, view.top() + 10), view.bottom() - 220)
        x, y = self._free_spot(x, y)
        if pending is None:
            self._add_and_select(type_id, (x, y))
            return
        node_id, port, is_output, fits = pending
        self.doc.undo.beginMacro(f"add {type_id} and connect it")
        new = self._add_and_select(type_id, (x, y))
        if type_id in fits:
            src, dst = (
                ((node_id, port), (new, fits[type_id]))
                if is_output
                else ((new, fits[type_id]), (node_id, port))
            )
            self.doc.connect(src, dst)
        self.doc.undo.endMacro()

    def delete_selected(self) -> None:
        ids = set(self.bridge.selected_ids())
        backdrops = set(self.bridge.selected_backdrops())
        if not ids and not backdrops:
            return
        self.doc.undo.beginMacro("delete")
        self.doc.remove_nodes(ids)
        if backdrops:
            ui = dict(self.doc.wf.ui)
            ui["backdrops"] = [b for b in ui.get("backdrops", []) if b.get("id") not in backdrops]
            self.doc.set_doc_ui(ui, "delete backdrop")
        self.doc.undo.endMacro()

    def copy(self) -> None:
        ids = set(self.bridge.selected_ids())
        if ids:
            QApplication.clipboard().setText(json.dumps(edits.fragment(self.doc.wf, ids)))
            self.say(f"Copied {len(ids)} node(s)")

    def cut(self) -> None:
        self.copy()
        self.delete_selected()

    def paste(self, offset: tuple[float, float] | None = None) -> list[str]:
        try:
            frag = json.loads(QApplication.clipboard().text() or "null")
            if offset is None:
                nodes = frag.get("nodes") if isinstance(frag, dict) else None
                xs = [
                    edits.moved(
                        n.get("ui", {}).get("pos") if isinstance(n.get("ui"), dict) else None,
                        (0.0, 0.0),
                    )
                    for n in (nodes if isinstance(nodes, list) else [])
                    if isinstance(n, dict)
                ]
                cx, cy = self.bridge.cursor_scene_pos()
                offset = (
                    (cx - min(p[0] for p in xs), cy - min(p[1] for p in xs)) if xs else (40, 40)
                )
            ids = self.doc.paste(frag, offset)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError) as e:
            self.say(f"Nothing to paste: {e}", error=True)
            return []
        self.bridge.select(ids)
        return ids

    def duplicate(self) -> list[str]:
        ids = set(self.bridge.selected_ids())
        if not ids:
            return []
        new = self.doc.paste(edits.fragment(self.doc.wf, ids), (40, 40))
        self.bridge.select(new)
        return new

    def rename_selected(self) -> None:
        ids = self.bridge.selected_ids()
        if len(ids) != 1:
            return
        title, ok = QInputDialog.getText(
            self, "Rename node", "Title:", text=self.doc.node_title(ids[0])
        )
        if ok:
            self.doc.rename_node(ids[0], title)

    def add_backdrop(self, title: str | None = None) -> str | None:
        if title is None:
            title, ok = QInputDialog.getText(self, "Backdrop", "Title:", text="Shot")
            if not ok:
                return None
        record = self.bridge.backdrop_around(self.bridge.selected_ids(), title)
        ui = dict(self.doc.wf.ui)
        ui["backdrops"] = [*ui.get("backdrops", []), record]
        self.doc.set_doc_ui(ui, "add backdrop")
        return record["id"]

    def auto_layout(self) -> None:
        self.doc.move_nodes({k: (v[0], v[1]) for k, v in edits.layout(self.doc.wf).items()})
        self.bridge.frame_all()

    def _context_menu(self, ng_id: str | None, global_pos, scene_pos) -> None:
        node_id = self.bridge.node_at(ng_id)
        menu = QMenu(self)
        if node_id is not None:
            if node_id not in self.bridge.selected_ids():
                self.bridge.select([node_id])
            menu.addAction("Run to here", lambda: self.run_to(node_id))
            menu.addAction("Show output in preview", lambda: self.show_output(node_id))
            view = menu.addAction("View in viewer", lambda: self.view_outputs([node_id]))
            view.setEnabled(preview_value(self.outputs.get(node_id, {})) is not None)
            if self._take_param(node_id) is not None:
                takes = menu.addAction("Compare all takes", lambda: self.compare_takes(node_id))
                takes.setEnabled("takes" in self.outputs.get(node_id, {}))
            earlier = self.history_sources(node_id)
            if earlier:
                sub = menu.addMenu("Compare with an earlier run")
                for label, src in earlier:
                    sub.addAction(
                        label, lambda src=src, nid=node_id: self.view_outputs([nid], extra=[src])
                    )
            menu.addSeparator()
            menu.addActions([self.act_rename, self.act_duplicate, self.act_copy, self.act_delete])
            menu.addSeparator()
            menu.addActions([self.act_bypass, self.act_mute])
            menu.addSeparator()
            menu.addActions([self.act_backdrop, self.act_make_recipe])
            node = self.doc.wf.node(node_id)
            if node is not None and node.type == recipes.TYPE:
                self._recipe_menu(menu.addMenu("Recipe"), node_id)
        else:
            menu.addAction(
                "Add node...", lambda: self.open_quick_add((scene_pos.x(), scene_pos.y()))
            )
            menu.addActions([self.act_paste, self.act_backdrop])
            menu.addSeparator()
            menu.addActions([self.act_frame_all, self.act_layout])
        menu.exec(global_pos)

    def _recipe_menu(self, menu: QMenu, node_id: str) -> None:
        node = self.doc.wf.node(node_id)
        assert node is not None
        r = self.recipes
        source = str(node.params.get("source", ""))
        menu.addAction("Edit inside", lambda: r.enter(node_id))
        menu.addAction("Expand into nodes", lambda: r.expand(node_id))
        menu.addSeparator()
        if source.startswith(recipes.EMBEDDED):
            menu.addAction("Link to file...", lambda: r.link_to_file(node_id))
        else:
            menu.addAction("Embed in this workflow", lambda: r.embed(node_id))
        menu.addAction("Save recipe to library...", lambda: r.save_to_library(node_id))
        notice, _ = r.status(node_id)
        if notice:
            menu.addSeparator()
            menu.addAction("Update to the recipe as it is now...", lambda: r.update(node_id))
            if not node.params.get("pin"):
                menu.addAction("Keep the version it used", lambda: r.keep_old(node_id))

    def _selection_changed(self, ids: list[str]) -> None:
        self.props.show_node(ids[0] if len(ids) == 1 else None)
        if len(ids) == 1:  # the Preview dock follows the selection
            self.show_output(ids[0])

    # -- running -------------------------------------------------------------------------------------------
    def out_dir(self) -> Path:
        if self.doc.path is not None:
            return self.doc.base_dir / "renders"
        return Path(platformdirs.user_videos_dir()) / "Reelgraph"

    def run_all(self) -> bool:
        return self._start(None)

    def run_selected(self) -> bool:
        ids = self.bridge.selected_ids()
        if not ids:
            self.say("Select the nodes to run first (or use Run for everything).", error=True)
            return False
        return self._start(ids)

    def run_to(self, node_id: str) -> bool:
        return self._start([node_id])

    def _start(self, targets: list[str] | None) -> bool:
        if self.runner.running():
            self.say("A run is already going; stop it first.", error=True)
            return False
        if self.doc.levels:  # a recipe on its own has no still, prompt or voice: the shot does
            self.say(
                "You are inside a recipe: its inputs come from the shot that uses it. Go Back "
                "(Ctrl+Shift+Up) and run the shot.",
                error=True,
            )
            return False
        from app.providers.settings import load_settings

        try:
            costs = self.runner.executor.estimate(
                self.doc.wf, base_dir=self.doc.base_dir, targets=targets
            )
        except WorkflowError:
            costs = {}  # the run reports the problems itself
        except Exception as e:  # noqa: BLE001 - an estimate must never block a run
            self.log_line(f"could not estimate the cost: {e}", "#c8a060")
            costs = {}
        total = sum(costs.values())
        if total > float(load_settings().get("confirm_above", 5.0)) and not self.confirm_cost(
            total, costs
        ):
            self.say(f"Run cancelled before anything was submitted (estimated ${total:,.2f}).")
            return False
        started = self.runner.start(self.doc.wf, self.doc.base_dir, self.out_dir(), targets)
        if started:
            self._run_total = 0
            self._run_done = 0
            self.act_run.setEnabled(False)
            self.act_run_sel.setEnabled(False)
            self.act_stop.setEnabled(True)
            self.progress.setValue(0)
            self.progress.show()
            what = f"{', '.join(targets)} (and what they need)" if targets else "the whole workflow"
            self.say(f"Running {what}..." + (f" Estimated cost ${total:,.2f}." if total else ""))
        return started

    def _confirm_cost(self, total: float, costs: dict[str, float]) -> bool:
        lines = "\n".join(f"  {n}: ${c:,.2f}" for n, c in costs.items() if c)
        box = QMessageBox(
            QMessageBox.Question,
            "Confirm paid run",
            f"This run is estimated at ${total:,.2f}:\n{lines}\n\nCached nodes cost nothing. Run it?",
            QMessageBox.Yes | QMessageBox.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.Cancel)
        return box.exec() == QMessageBox.Yes

    def show_help(self, type_id: str | None = None) -> QWidget:
        from app.ui.help import HelpDialog

        if type_id is None:
            ids = self.bridge.selected_ids()
            node = self.doc.wf.node(ids[0]) if len(ids) == 1 else None
            type_id = node.type if node else None
        dlg = HelpDialog(self.registry, type_id, self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.show()
        self.help_dialog = dlg
        return dlg

    def show_about(self) -> QWidget:
        from app.ui.help import AboutDialog

        dlg = AboutDialog(self)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.show()
        self.about_dialog = dlg
        return dlg

    def show_welcome(self) -> QWidget:
        from app.ui.help import WelcomeDialog, first_run_marker

        dlg = WelcomeDialog(sorted(TEMPLATES.glob("*.json")), self)
        dlg.template_chosen.connect(self.new_from_template)
        dlg.keys_requested.connect(self.open_settings)

        def closed(*_: object) -> None:
            marker = first_run_marker()
            if dlg.again.isChecked():
                marker.unlink(missing_ok=True)
            else:
                marker.write_text("shown\n")

        dlg.finished.connect(closed)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.show()
        self.welcome_dialog = dlg
        return dlg

    def open_docs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(data_dir("docs"))))

    def open_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        SettingsDialog(self).exec()

    def add_comfy_workflow(self, path: Path | None = None) -> Path | None:
        """A ComfyUI Export (API) file as a template: the proposed mapping shown to confirm."""
        from PySide6.QtWidgets import QFileDialog

        from app.providers import comfy_templates as ct
        from app.ui.comfy_dialog import ComfyTemplateDialog

        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self,
                "A workflow exported from ComfyUI with Export (API)",
                str(self.doc.base_dir),
                "ComfyUI API workflow (*.json)",
            )
            if not name:
                return None
            path = Path(name)
        from app.providers.comfy import server_object_info

        try:
            dlg = ComfyTemplateDialog(self, path, server_object_info())
        except (ct.TemplateError, Exception) as e:  # noqa: BLE001 - any unreadable file is one message
            self.say(f"Cannot add {path.name}: {e}", error=True)
            return None
        self.comfy_dialog = dlg  # tests drive it
        if dlg.exec() and dlg.saved is not None:
            self.say(
                f"Added ComfyUI template {dlg.saved.stem!r}: set a generator's backend to comfyui and its "
                "model to it"
            )
            return dlg.saved
        return None

    def stop(self) -> None:
        if self.runner.running():
            self.runner.stop()
            self.say("Stopping: cancelling the nodes that are running...")

    def _on_event(self, ev: Event) -> None:
        n = ev.node
        if ev.event == "run_started":
            nodes = ev.data.get("nodes", [])
            self._run_total = max(1, len(nodes))
            self._run_nodes = set(nodes)
            self._instances = self._recipe_instances()
            self._inner_states: dict[str, dict[str, str]] = {}
            for node_id in [*nodes, *self._instances]:
                self.bridge.set_state(node_id, None)
            return
        if n is None:
            return
        inst = n.split(recipes.SEP, 1)[0] if recipes.SEP in n else None
        if inst is not None and inst in getattr(self, "_instances", {}):
            self._inner_event(inst, ev)
            return
        if ev.event == "queued":
            self.bridge.set_state(n, "queued")
        elif ev.event == "started":
            self.bridge.set_state(n, "running", 0.0, "starting")
            self.log_line(f"{n}: started")
        elif ev.event == "progress":
            self.bridge.set_state(n, "running", ev.progress, ev.message or "")
        elif ev.event in ("finished", "cached"):
            self.bridge.set_state(n, ev.event)
            self._set_outputs(n, ev.outputs or {})
            if n == self.preview.node_id:  # the new result replaces the shown one at once
                self.show_output(n)
            self._step()
            if ev.event == "finished":
                self.log_line(
                    f"{n}: done" + (f" -> {', '.join(ev.delivered)}" if ev.delivered else "")
                )
        elif ev.event == "failed":
            self.bridge.set_state(n, "failed", None, ev.error or "")
            self.log_line(f"{n}: FAILED: {ev.error}", "#f08080")
            self._step()
        elif ev.event in ("skipped", "cancelled"):
            self.bridge.set_state(n, ev.event, None, ev.message or "")
            self.log_line(
                f"{n}: {ev.event}" + (f" ({ev.message})" if ev.message else ""), "#c8a060"
            )
            self._step()

    # -- recipe instances: their inner nodes' events and outputs, shown on the instance -------
    def _recipe_instances(self) -> dict[str, recipes.Instance]:
        if not recipes.has_recipes(self.doc.wf):
            return {}
        try:
            ex = recipes.expand(self.doc.wf, self.registry, self.doc.base_dir)
        except Exception:  # noqa: BLE001 - an unexpandable recipe shows its own problem
            return {}
        return {k: v for k, v in ex.instances.items() if recipes.SEP not in k}

    def _lift(self, flat: dict[str, dict[str, Value]]) -> dict[str, dict[str, Value]]:
        """Outputs of inner nodes (``shot/gen``) as the outputs of their instances."""
        out: dict[str, dict[str, Value]] = {}
        for inst, info in self._recipe_instances().items():
            for name, (src, port) in info.outputs.items():
                if port in flat.get(src, {}):
                    out.setdefault(inst, {})[name] = flat[src][port]
        return out

    def _inner_event(self, inst: str, ev: Event) -> None:
        n = ev.node or ""
        inner = n.split(recipes.SEP, 1)[1]
        states = self._inner_states.setdefault(inst, {})
        kind = {"started": "running", "progress": "running"}.get(ev.event, ev.event)
        states[n] = kind
        info = self._instances[inst]
        if ev.event in ("finished", "cached", "failed", "skipped", "cancelled"):
            self._step()
        if ev.event == "started":
            self.log_line(f"{n}: started")
        elif ev.event == "finished":
            self.log_line(f"{n}: done" + (f" -> {', '.join(ev.delivered)}" if ev.delivered else ""))
        elif ev.event == "failed":
            self.log_line(f"{n}: FAILED: {ev.error}", "#f08080")
        if ev.event in ("finished", "cached") and ev.outputs:
            got = {
                name: ev.outputs[port]
                for name, (src, port) in info.outputs.items()
                if src == n and port in ev.outputs
            }
            if got:
                self._set_outputs(
                    inst, {**{k: str(v.path) for k, v in self.outputs.get(inst, {}).items()}, **got}
                )
                if inst == self.preview.node_id:
                    self.show_output(inst)
        members = [x for x in info.nodes if x in self._run_nodes]
        seen = [states.get(x) for x in members]
        if "failed" in seen:
            failed = next(x for x in members if states.get(x) == "failed")
            if ev.event == "failed" and n == failed:
                self.bridge.set_state(inst, "failed", None, f"{inner}: {ev.error or ''}")
        elif any(s in ("running", "queued") for s in seen):
            done = sum(s in ("finished", "cached", "skipped") for s in seen)
            self.bridge.set_state(
                inst, "running", done / max(1, len(members)), f"{inner}: {ev.message or ev.event}"
            )
        elif all(s is not None for s in seen):
            final = (
                "cancelled"
                if "cancelled" in seen
                else "skipped"
                if "skipped" in seen
                else "finished"
                if "finished" in seen
                else "cached"
            )
            self.bridge.set_state(inst, final)

    def _step(self) -> None:
        self._run_done += 1
        self.progress.setValue(round(100 * self._run_done / max(1, self._run_total)))

    def _set_outputs(self, node_id: str, outputs: dict[str, str]) -> None:
        nt = self.doc.node_type(node_id)
        if nt is None:
            return
        values: dict[str, Value] = {}
        for port, path in outputs.items():
            out = nt.output(port)
            if out is None:
                continue
            p = Path(path)
            t = out.types[0]
            if out.same_as or len(out.types) > 1:  # the type follows the input: tell by the file
                t = PortType.IMAGE if p.suffix.lower() == ".png" else PortType.VIDEO
            values[port] = Value(t, p)
        self.outputs[node_id] = values
        self._request_thumb(node_id)

    def _request_thumb(self, node_id: str) -> None:
        value = preview_value(self.outputs.get(node_id, {}))
        if (
            value is not None
            and self.bridge.item(node_id) is not None
            and self.bridge.item(node_id).has_preview
        ):
            self.thumbs.request(node_id, value)

    def _thumb_ready(self, node_id: str, images: list, fps: float, error: str) -> None:
        if error:
            self.log_line(f"{node_id}: no preview ({error})", "#c8a060")
            return
        self.bridge.set_frames(node_id, [QPixmap.fromImage(im) for im in images])

    def _on_finished(self, result: RunResult) -> None:
        for node_id, outputs in [*result.outputs.items(), *self._lift(result.outputs).items()]:
            if node_id in self.bridge.nodes:
                self.outputs[node_id] = outputs  # with their metadata (takes, backend, seed...)
        for node_id, st in result.states.items():
            if st == "idle" and node_id in self.bridge.nodes:
                self.bridge.set_state(node_id, "idle", None, "")
        done = {
            n: result.keys[n]
            for n, st in result.states.items()
            if st in ("finished", "cached") and n in result.keys
        }
        if done:
            try:
                record_runs(self._history_key(), done)
            except OSError as e:
                self.log_line(f"could not record the run history: {e}", "#c8a060")
        counts = result.counts()
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        if result.status == "ok" and not self.doc.levels:
            self.recipes.note_run()
        if result.status == "ok":
            delivered = [str(p) for files in result.delivered.values() for p in files]
            msg = f"Run finished in {result.wall_s:.1f} s: {summary}"
            if delivered:
                msg += f". Wrote {', '.join(delivered)}"
            self._run_ended(msg, False)
        elif result.status == "cancelled":
            self._run_ended(f"Run stopped: {summary}", True)
        else:
            first = next(iter(result.errors.items()), None)
            why = f" First error: {first[0]}: {first[1]}" if first else ""
            self._run_ended(f"Run failed: {summary}.{why}", True)
        for note in result.notes:
            self.log_line(note, "#c8a060")

    def _on_refused(self, err: WorkflowError) -> None:
        for p in err.problems:
            if p.node and p.node in self.bridge.nodes:
                self.bridge.set_state(
                    p.node, "failed", None, f"{p.where + ': ' if p.where else ''}{p.message}"
                )
        self._run_ended(
            f"Cannot run yet: {err.problems[0]}"
            + (
                f" (and {len(err.problems) - 1} more problems, see the log)"
                if len(err.problems) > 1
                else ""
            ),
            True,
        )
        for p in err.problems:
            self.log_line(str(p), "#f08080")

    def _run_ended(self, message: str, error: bool) -> None:
        self.act_run.setEnabled(True)
        self.act_run_sel.setEnabled(True)
        self.act_stop.setEnabled(False)
        self.progress.hide()
        self.say(message, error=error)

    # -- previews ------------------------------------------------------------------------------------------
    def _after_reset(self) -> None:
        self.crumb.show_path(self.doc.breadcrumb(), self.recipes.crumb_note())
        self.act_exit_recipe.setEnabled(bool(self.doc.levels))
        self.outputs.clear()
        self.bridge.clear_states()
        self.preview.clear()  # File > New or Open: nothing of the previous file stays on screen
        self.viewer.clear()
        self.refresh_previews()
        for node in self.doc.wf.nodes:
            self._input_preview(node.id)

    def refresh_previews(self) -> None:
        """Show what the cache holds for the workflow as it is now (after open, edits, undo).
        The lookup hashes the files the workflow names, so it runs on a worker thread: a huge or
        slow file never freezes the window (the newest lookup wins; older answers are dropped)."""
        if self.runner.running():
            self._peek_timer.start()
            return
        self._peek_generation += 1
        if self._peek_busy:
            return  # the running lookup is followed by another when it ends
        self._peek_busy = True
        generation, wf, base = (
            self._peek_generation,
            self.doc.wf.model_copy(deep=True),
            self.doc.base_dir,
        )
        executor = self.runner.executor

        def work() -> None:
            try:
                self._peeked.emit(generation, executor.peek(wf, base), "")
            except Exception as e:  # noqa: BLE001 - previews are a comfort, never a crash
                self._peeked.emit(generation, {}, str(e))

        threading.Thread(target=work, name="reelgraph-peek", daemon=True).start()

    def _peek_done(self, generation: int, cached: dict, error: str) -> None:
        self._peek_busy = False
        if generation != self._peek_generation:
            self.refresh_previews()  # the workflow changed meanwhile: look again
            return
        if error:
            self.log_line(f"could not look up cached results: {error}", "#c8a060")
            return
        cached = {**cached, **self._lift(cached)}
        self.recipes.mark_changed()
        for node_id in self.bridge.nodes:
            if node_id in cached:
                if self.outputs.get(node_id) != cached[node_id]:
                    self.outputs[node_id] = cached[node_id]
                    self._request_thumb(node_id)
                item = self.bridge.item(node_id)
                if item is not None and item.state in (None, "outdated"):
                    self.bridge.set_state(node_id, "cached")
            elif node_id in self.outputs:
                self.outputs.pop(node_id)
                # the last picture stays, dimmed and marked, until the next run
                self.bridge.set_state(node_id, "outdated", None, "changed since its last run")
                if node_id == self.preview.node_id:
                    self.preview.set_stale(True)
                self._input_preview(node_id)
            else:
                item = self.bridge.item(node_id)
                if item is not None and item.state in ("cached", "finished"):
                    self.bridge.set_state(node_id, None)

    def show_output(self, node_id: str) -> None:
        outputs = self.outputs.get(node_id, {})
        value = preview_value(outputs) or next(iter(outputs.values()), None)
        if self._preview_kind(node_id) in ("motion", "waveform"):
            self.preview.show_value(self.bridge.display_name(node_id), None, node_id)
            self._drawn_preview(node_id)  # the drawing arrives in the Preview too
            return
        if value is None:
            value = self.input_value(node_id)
            if value is None and node_id == self.preview.node_id and self.preview.stale:
                return  # keep the dimmed last result until the next run
        self.preview.show_value(self.bridge.display_name(node_id), value, node_id)

    def _drawn_preview(self, node_id: str) -> None:
        """The motion brush's regions over its still, or a sound's waveform, drawn on a worker
        thread (a long sound takes a moment to read) as soon as they are set."""
        node = self.doc.wf.node(node_id)
        if node is None:
            return
        params = dict(node.params)
        still = None
        drawing = self._preview_kind(node_id)
        if drawing == "motion":
            src = next((lk.src for lk in self.doc.wf.links if lk.dst == (node_id, "image")), None)
            value = None
            if src is not None:
                value = self.outputs.get(src[0], {}).get(src[1]) or self.input_value(src[0])
            still = value.path if value is not None else None
        elif not isinstance(params.get("path"), str) or not params["path"].strip():
            return
        base = self.doc.base_dir
        self._drawn_gen[node_id] = gen = (
            self._drawn_gen.get(node_id, 0) + 1
        )  # the newest drawing wins

        def work() -> None:
            from app.ui.thumbs import motion_thumb, waveform_thumb

            try:
                if drawing == "motion":
                    from app.core.safefiles import is_regular
                    from app.media.images import load_image

                    ok = (
                        still is not None
                        and is_regular(still)
                        and still.stat().st_size <= 512 * 2**20
                    )
                    img = motion_thumb(
                        load_image(still) if ok else None, params, (THUMB_W * 2, THUMB_H * 2)
                    )
                else:
                    from app.core.safefiles import checked_file

                    path = Path(params["path"])
                    path = checked_file(
                        path if path.is_absolute() else base / path, max_bytes=4 * 2**30
                    )
                    img = waveform_thumb(path, (THUMB_W * 2, THUMB_H * 2))
                self._drawn.emit(node_id, (gen, img))
            except Exception as e:  # noqa: BLE001 - a thumbnail is a comfort; the run says what is wrong
                self._drawn.emit(node_id, (gen, str(e)))

        threading.Thread(target=work, name="reelgraph-drawn-preview", daemon=True).start()

    def _drawn_done(self, node_id: str, result: object) -> None:
        gen, img = result  # type: ignore[misc]
        if isinstance(img, str) or gen != self._drawn_gen.get(node_id):
            return  # failed, or an older drawing than one already asked for
        self.bridge.set_frames(node_id, [QPixmap.fromImage(img)])
        if node_id == self.preview.node_id:
            self.preview.show_frames(f"{self.bridge.display_name(node_id)}: as set", [img], 24.0)
            self.preview.node_id = node_id

    def _activated(self, node_id: str) -> None:
        node = self.doc.wf.node(node_id)
        if node is not None and node.type == recipes.TYPE:  # double-click: edit inside
            self.recipes.enter(node_id)
            return
        self._preview_dock.show()
        self._preview_dock.raise_()
        self.show_output(node_id)

    def _preview_kind(self, node_id: str) -> str | None:
        node = self.doc.wf.node(node_id)
        nt = self.registry.get(node.type) if node else None
        return nt.preview if nt else None

    def input_value(self, node_id: str) -> Value | None:
        """What an input node will give, straight from its file, before any run: the picked
        still or video shows as soon as it is set."""
        node = self.doc.wf.node(node_id)
        nt = self.registry.get(node.type) if node else None
        if (
            node is None
            or nt is None
            or nt.preview != "file"
            or not isinstance(node.params.get("path"), str)
        ):
            return None
        kind = next(
            (t for out in nt.outputs for t in out.types if t in (PortType.IMAGE, PortType.VIDEO)),
            PortType.IMAGE,
        )
        raw = node.params["path"].strip()
        if not raw or "://" in raw:
            return None
        path = Path(raw) if Path(raw).is_absolute() else self.doc.base_dir / raw
        from app.core.safefiles import is_regular

        try:  # a regular file of a sane size: a FIFO or a huge file is for the run to refuse, by name
            ok = (
                is_regular(path)
                and path.stat().st_size <= (512 if kind == PortType.IMAGE else 64 * 1024) * 2**20
            )
        except OSError:
            ok = False
        return Value(kind, path, {"source": path.name}) if ok else None

    def _input_preview(self, node_id: str) -> None:
        if self._preview_kind(node_id) in ("motion", "waveform"):
            self._drawn_preview(node_id)
            return
        for link in self.doc.wf.links:  # a still feeding a motion brush: its thumbnail follows
            if link.src[0] == node_id and self._preview_kind(link.dst[0]) == "motion":
                self._drawn_preview(link.dst[0])
        if node_id in self.outputs:
            return
        value = self.input_value(node_id)
        item = self.bridge.item(node_id)
        if value is not None and item is not None and item.has_preview:
            self.thumbs.request(node_id, value)
            if node_id == self.preview.node_id:
                self.show_output(node_id)

    # -- viewer --------------------------------------------------------------------------------------------
    def _take_param(self, node_id: str) -> str | None:
        """The param that chooses among the node's takes (its type's ``choices``), or None."""
        node = self.doc.wf.node(node_id)
        nt = self.registry.get(node.type) if node is not None else None
        return nt.choices[0] if nt is not None and nt.choices else None

    def _selected_take(self, node_id: str) -> int | None:
        name = self._take_param(node_id)
        node = self.doc.wf.node(node_id)
        return int(node.params.get(name, 1)) if name and node is not None else None

    def _source(self, node_id: str, value: Value, suffix: str = "") -> Source:
        title = self.bridge.display_name(node_id) + suffix
        take = value.meta.get("take")
        return Source(
            value,
            node_id,
            describe(title, value),
            take=int(take) if take else None,
            choosable=self._take_param(node_id) is not None,
        )

    def view_outputs(self, node_ids: list[str], extra: list[Source] | None = None) -> None:
        """Put the picture outputs of nodes (and any extra sources) in the viewer, and show it."""
        sources = [
            self._source(n, v)
            for n in node_ids
            if (v := preview_value(self.outputs.get(n, {}))) is not None
        ] + list(extra or [])
        if not sources:
            self.say("Nothing to view yet: run the node first.", error=True)
            return
        self.viewer.set_sources(sources)
        self._show_viewer()

    def compare_takes(self, node_id: str) -> None:
        takes = self.outputs.get(node_id, {}).get("takes")
        if takes is None:
            self.say(f"Run {node_id} first to compare its takes.", error=True)
            return
        self.viewer.set_sources([self._source(node_id, v) for v in expand_takes(takes)])
        self._show_viewer()

    def _show_viewer(self) -> None:
        self._viewer_dock.show()
        self._viewer_dock.raise_()
        self.resizeDocks([self._viewer_dock], [max(300, int(self.height() * 0.38))], Qt.Vertical)

    def _history_key(self) -> str:
        return str(self.doc.path) if self.doc.path else f"unsaved:{self.doc.wf.name}"

    def history_sources(self, node_id: str) -> list[tuple[str, Source]]:
        """Earlier results of the node still in the cache (not the current one)."""
        current = {str(v.path) for v in self.outputs.get(node_id, {}).values()}
        found = []
        for item in run_history(self._history_key(), node_id):
            entry = self.runner.cache.get(item["key"])
            value = preview_value(entry.outputs) if entry else None
            if value is None or str(value.path) in current:
                continue
            when = time.strftime("%H:%M:%S", time.localtime(item.get("t", 0)))
            found.append((f"run at {when}", self._source(node_id, value, f" (run at {when})")))
        return found

    def use_take(self, node_id: str, take: int) -> None:
        """Make ``take`` the generator's selected take (one undo step) and re-run what depends on it:
        the takes themselves come from the cache."""
        name = self._take_param(node_id)
        if name is None or self.doc.set_param(node_id, name, int(take)) is not None:
            return
        g = build_graph(self.doc.wf)
        sinks = [n for n in nx.descendants(g, node_id) if g.out_degree(n) == 0]
        self.say(
            f"{node_id}: take {take} selected"
            + (f"; re-running {', '.join(sorted(sinks))}" if sinks else "")
        )
        self.viewer.canvas.update()
        if sinks and not self.runner.running():
            self._start(sorted(sinks))


def absolutize(wf: Workflow, registry: Registry, base: Path) -> None:
    """Make file params absolute, for a workflow taken out of its folder (templates, renders)."""
    for node in wf.nodes:
        nt = registry.get(node.type)
        if nt is None:
            continue
        for name, fs in _resolve(nt.params.model_json_schema()).items():
            value = node.params.get(name)
            if (
                field_kind(fs) == "file"
                and isinstance(value, str)
                and value.strip()
                and not Path(value).is_absolute()
            ):
                node.params[name] = str((base / value).resolve())


def _is_sequence(path: Path) -> bool:
    """A sequence file (reelgraph/sequence), told by its schema, not its name."""
    from app.core.safefiles import is_regular

    if path.suffix.lower() != ".json":
        return False
    try:
        if not is_regular(path):  # never opened to look: a FIFO would block the window
            return False
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    return b'"schema": "reelgraph/sequence"' in head or b'"schema":"reelgraph/sequence"' in head
