"""The properties panel, generated from the selected node's params model: numbers with ranges
as spin box + slider, enums as combos, booleans as check boxes, paths with a file picker,
prompt fields multiline, structured values (masks, regions, keyframes, lists) behind an
"Edit..." button. Every change goes to the Document, which checks it against the model."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core import recipes
from app.core.registry import Registry
from app.core.validate import validate
from app.ui.document import Document

# Structured-value editors by the field's "widget" hint (app.ui.editors registers them). Called as
# editor(context, node_id, field_name, value); an editor writes its own edit to the document.
EDITORS: dict[str, Callable[..., Any]] = {}
SLIDER_STEPS = 1000


def field_kind(schema: dict[str, Any]) -> str:
    if schema.get("widget") == "file":
        return "file"
    if "enum" in schema or "const" in schema:
        return "enum"
    t = schema.get("type")
    if t == "boolean":
        return "bool"
    if t == "integer":
        return "int"
    if t == "number":
        return "float"
    if t == "string":
        return "text" if schema.get("multiline") else "line"
    return "structured"


class JsonEditor(QDialog):
    """The generic editor for structured values: the JSON, checked before it is accepted."""

    def __init__(
        self, parent: QWidget | None, title: str, value: Any, check: Callable[[Any], str | None]
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(560, 420)
        self.check = check
        self.edit = QPlainTextEdit(json.dumps(value, indent=2, ensure_ascii=False))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #f07070;")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.value: Any = value

    def _accept(self) -> None:
        try:
            value = json.loads(self.edit.toPlainText())
        except ValueError as e:
            self.error.setText(f"not valid JSON: {e}")
            return
        problem = self.check(value)
        if problem:
            self.error.setText(problem)
            return
        self.value = value
        self.accept()


class PropertiesPanel(QWidget):
    def __init__(self, doc: Document, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.registry = doc, registry
        self.node_id: str | None = None
        self.editor_context: Any = None  # app.ui.editors.context.EditorContext, set by the window
        # The window's "Add ComfyUI workflow..." (returns the saved template's path), offered on a
        # comfyui generator so a template is added where it is used.
        self.add_comfy: Callable[[], Any] | None = None
        self.recipe_actions: Any = None  # app.ui.recipes_ui.RecipeActions, set by the window
        self.setters: dict[str, Callable[[Any], None]] = {}
        self.options: dict[str, Any] = {}
        self.header = QLabel("Select a node to edit its settings.")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #f08080;")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.problems)
        layout.addWidget(scroll, 1)
        doc.params_changed.connect(self._params_changed)
        doc.node_removed.connect(self._node_removed)
        doc.reset.connect(self._reset)
        doc.link_added.connect(self._update_problems)
        doc.link_removed.connect(self._update_problems)

    def _node_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.show_node(None)

    def _reset(self) -> None:
        self.show_node(None)

    # -- building ---------------------------------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.setters.clear()
        while self.form.rowCount():
            self.form.removeRow(0)
        node = self.doc.wf.node(node_id) if node_id else None
        if node is None:
            self.header.setText("Select a node to edit its settings.")
            self.problems.setText("")
            return
        nt = self.registry.get(node.type)
        if nt is None:
            self.header.setText(
                f"<b>{node_id}</b> &nbsp;<span style='color:#f07070'>unknown type {node.type}</span>"
                "<br>Its settings and links are kept as they are."
            )
            self.form.addRow(QLabel(f"<pre>{json.dumps(node.params, indent=2)[:4000]}</pre>"))
            self.problems.setText("")
            return
        self.header.setText(
            f"<b>{node_id}</b> &nbsp;<span style='color:#999'>{nt.title} ({nt.id})</span>"
            f"<br><span style='color:#aaa'>{nt.description}</span>"
        )
        if node.type == recipes.TYPE:
            self._show_recipe(node_id)
            self._update_problems()
            return
        schema = nt.params.model_json_schema()
        props = _resolve(schema)
        values = self._values()
        editable = next(((n, fs) for n, fs in props.items() if fs.get("widget") in EDITORS), None)
        if editable is not None and self.editor_context is not None:
            open_btn = QPushButton(f"Open the {nt.title.lower()} editor...")
            open_btn.setObjectName("open_editor")
            open_btn.clicked.connect(lambda *_, e=editable: self.open_editor(*e))
            self.form.addRow(open_btn)
        if values.get("backend") == "comfyui" and "model" in values and self.add_comfy is not None:
            add = QPushButton("Add ComfyUI workflow...")
            add.setObjectName("add_comfy")
            add.setToolTip(
                "Use a workflow exported from ComfyUI with Export (API) as this generator's template"
            )
            add.clicked.connect(self._add_comfy)
            self.form.addRow(add)
        self.options = self._options()
        for name, fs in props.items():
            opts = self.options.get(name)
            if opts is not None and not opts.choices and not opts.free:
                continue  # does not apply to this model (a mode where the model has none)
            widget = (
                self._choice(name, opts, values.get(name))
                if opts is not None
                else self._widget(name, fs, values.get(name))
            )
            label = QLabel(fs.get("title") or name.replace("_", " "))
            label.setToolTip(fs.get("description", ""))
            self._exposable(label, node_id, name)
            widget.setToolTip(fs.get("description", ""))
            self.form.addRow(label, widget)
        self._update_problems()

    def _exposable(self, label: QLabel, node_id: str, param: str) -> None:
        """Inside a recipe: right-click a setting's name to expose it on the recipe's instances;
        exposed ones are marked."""
        iface = self.doc.wf.interface
        if not self.doc.levels or iface is None:
            return
        exposed = next(
            (x.name for x in iface.params if x.node == node_id and x.param == param), None
        )
        if exposed:
            label.setText(f"{label.text()}  ◆")
            label.setToolTip(f"exposed on the recipe as '{exposed}'. {label.toolTip()}")
        label.setObjectName(f"label_{param}")
        label.setContextMenuPolicy(Qt.CustomContextMenu)

        def menu(pos) -> None:
            m = QMenu(label)
            act = m.addAction("Expose on recipe...")
            act.setEnabled(exposed is None and self.recipe_actions is not None)
            act.triggered.connect(lambda: self.recipe_actions.expose(node_id, param))
            m.exec(label.mapToGlobal(pos))

        label.customContextMenuRequested.connect(menu)

    # -- a recipe instance: its source, its notice, its exposed settings ---------------------------
    def _show_recipe(self, node_id: str) -> None:
        node = self.doc.wf.node(node_id)
        assert node is not None
        source = QLineEdit(str(node.params.get("source", "")))
        source.setObjectName("param_source")
        source.setToolTip("library:NAME, embedded:NAME, or a recipe file relative to the workflow")
        source.editingFinished.connect(lambda: self._commit("source", source.text().strip()))
        self.setters["source"] = lambda v, w=source: w.setText(str(v or ""))
        self.form.addRow(QLabel("recipe"), source)
        ra = self.recipe_actions
        try:
            info = self.doc.recipe_ports(node_id)
        except Exception as e:  # noqa: BLE001 - an unreadable recipe is one message
            self.form.addRow(QLabel(f"<span style='color:#f08080'>{e}</span>"))
            return
        pin = node.params.get("pin")
        version = QLabel(
            f"version {info.digest}"
            + (" (kept: the file has moved on)" if pin and pin != info.current else "")
        )
        version.setStyleSheet("color: #999;")
        self.form.addRow(QLabel("version"), version)
        if ra is not None:
            notice, changes = ra.status(node_id)
            if notice:
                box = QWidget()
                col = QVBoxLayout(box)
                col.setContentsMargins(0, 4, 0, 4)
                text = QLabel(
                    f"<b style='color:#e6be5a'>{node_id}: {notice}.</b><br>"
                    + "<br>".join(html.escape(c) for c in changes[:10])
                    + ("<br>..." if len(changes) > 10 else "")
                )
                text.setObjectName("recipe_notice")
                text.setWordWrap(True)
                col.addWidget(text)
                row = QHBoxLayout()
                update = QPushButton("Update")
                update.setObjectName("recipe_update")
                update.clicked.connect(lambda: ra.update(node_id))
                row.addWidget(update)
                same = [
                    n
                    for n in self.doc.wf.nodes
                    if n.type == recipes.TYPE
                    and n.params.get("source") == node.params.get("source")
                    and ra.status(n.id)[0]
                ]
                if len(same) > 1:
                    every = QPushButton(f"Update all {len(same)}")
                    every.setObjectName("recipe_update_all")
                    every.clicked.connect(lambda: ra.update_all(node_id))
                    row.addWidget(every)
                if not pin:
                    keep = QPushButton("Keep the old version")
                    keep.setObjectName("recipe_keep")
                    keep.clicked.connect(lambda: ra.keep_old(node_id))
                    row.addWidget(keep)
                col.addLayout(row)
                self.form.addRow(box)
            buttons = QHBoxLayout()
            buttons.setContentsMargins(0, 0, 0, 0)
            for label, name, slot in (
                ("Edit inside", "recipe_enter", lambda: ra.enter(node_id)),
                ("Expand", "recipe_expand", lambda: ra.expand(node_id)),
                ("To library...", "recipe_save", lambda: ra.save_to_library(node_id)),
            ):
                b = QPushButton(label)
                b.setObjectName(name)
                b.clicked.connect(slot)
                buttons.addWidget(b)
            host = QWidget()
            host.setLayout(buttons)
            self.form.addRow(host)
        if not info.params:
            hint = QLabel(
                "<i>No settings exposed yet: Edit inside, then right-click a setting's name to "
                "expose it here.</i>"
            )
            hint.setWordWrap(True)
            self.form.addRow(hint)
        values = dict(node.params.get("values") or {})
        for name, inner_id, param, default in info.params:
            fs = self._inner_field(node_id, inner_id, param)
            key = f"values.{name}"
            widget = self._widget(key, fs, values.get(name, default))
            label = QLabel(name.replace("_", " "))
            tip = f"{inner_id}.{param} inside the recipe. {fs.get('description', '')}"
            label.setToolTip(tip)
            widget.setToolTip(tip)
            self.form.addRow(label, widget)

    def _inner_field(self, node_id: str, inner_id: str, param: str) -> dict[str, Any]:
        """The JSON schema of an exposed param, from the inner node's type."""
        node = self.doc.wf.node(node_id)
        try:
            p = recipes.RecipeParams.model_validate(node.params if node else {})
            loaded = recipes.load(
                p.source, base_dir=self.doc.base_dir, embedded=self.doc.wf.recipes, pin=p.pin
            )
            inner = loaded.wf.node(inner_id)
            nt = self.registry.get(inner.type) if inner else None
        except Exception:  # noqa: BLE001 - a plain text field then
            nt = None
        if nt is None:
            return {"type": "string"}
        return _resolve(nt.params.model_json_schema()).get(param, {"type": "string"})

    def _add_comfy(self) -> None:
        saved = self.add_comfy() if self.add_comfy is not None else None
        if saved is not None and self.node_id is not None:
            self._commit("model", saved.stem)

    def _values(self) -> dict[str, Any]:
        node = self.doc.wf.node(self.node_id or "")
        nt = self.registry.get(node.type) if node else None
        if node is None or nt is None:
            return {}
        values = {
            name: f.get_default(call_default_factory=True)
            for name, f in nt.params.model_fields.items()
        }
        values.update(node.params)
        if node.type == recipes.TYPE:  # exposed settings: the instance's value, else the recipe's
            try:
                info = self.doc.recipe_ports(node.id)
            except Exception:  # noqa: BLE001
                return values
            own = node.params.get("values") or {}
            for name, _, _, default in info.params:
                values[f"values.{name}"] = own.get(name, default)
        return values

    def _options(self) -> dict[str, Any]:
        """Drop-down values that depend on other params (the catalog's models for the backend)."""
        node = self.doc.wf.node(self.node_id or "")
        nt = self.registry.get(node.type) if node else None
        if node is None or nt is None or nt.options is None:
            return {}
        try:
            return nt.options(nt.params.model_validate(self._values()))
        except Exception:  # noqa: BLE001 - invalid params: plain widgets, the problems line says why
            return {}

    def _choice(self, name: str, opts: Any, value: Any) -> QWidget:
        """A drop-down of labelled values (model · price); editable where any value is allowed."""
        w = QComboBox()
        w.setEditable(opts.free)
        for v, label in opts.choices:
            w.addItem(label, v)

        def pick(i: int) -> None:
            if i >= 0:
                self._commit(name, w.itemData(i))

        def typed() -> None:
            text = w.currentText().strip()
            match = next((v for v, label in opts.choices if label == text), text)
            self._commit(name, match)

        w.activated.connect(pick)
        if opts.free:
            w.lineEdit().editingFinished.connect(typed)
            w.lineEdit().setPlaceholderText("an id, or pick one")

        def set_value(v: Any) -> None:
            w.blockSignals(True)
            i = w.findData(v)
            if i < 0 and v:
                w.addItem(str(v), v)
                i = w.count() - 1
            w.setCurrentIndex(max(0, i))
            w.blockSignals(False)

        self.setters[name] = set_value
        set_value(value)
        w.setObjectName(f"param_{name}")
        return w

    def _widget(self, name: str, fs: dict[str, Any], value: Any) -> QWidget:
        kind = field_kind(fs)
        commit = lambda v, name=name: self._commit(name, v)  # noqa: E731
        if kind == "enum":
            w = QComboBox()
            options = fs["enum"] if "enum" in fs else [fs["const"]]
            for option in options:
                w.addItem(str(option), option)
            w.setEnabled(len(options) > 1)
            w.currentIndexChanged.connect(lambda i, w=w: commit(w.itemData(i)))
            self.setters[name] = lambda v, w=w: w.setCurrentIndex(max(0, w.findData(v)))
        elif kind == "bool":
            w = QCheckBox()
            w.toggled.connect(commit)
            self.setters[name] = lambda v, w=w: w.setChecked(bool(v))
        elif kind in ("int", "float"):
            w = self._number(fs, kind, commit)
            self.setters[name] = w.set_value  # type: ignore[attr-defined]
        elif kind == "file":
            w = self._file(fs, commit)
            self.setters[name] = w.set_value  # type: ignore[attr-defined]
        elif kind == "text":
            w = _CommitText(commit)
            self.setters[name] = w.set_value
        elif kind == "line":
            w = QLineEdit()
            w.editingFinished.connect(lambda w=w: commit(w.text()))
            self.setters[name] = lambda v, w=w: w.setText("" if v is None else str(v))
        else:
            w = self._structured(name, fs, commit)
            self.setters[name] = w.set_value  # type: ignore[attr-defined]
        self._set(name, value)
        w.setObjectName(f"param_{name}")
        return w

    def _number(self, fs: dict[str, Any], kind: str, commit) -> QWidget:
        lo = fs.get("minimum", fs.get("exclusiveMinimum"))
        hi = fs.get("maximum", fs.get("exclusiveMaximum"))
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        if kind == "int":
            spin: QSpinBox | QDoubleSpinBox = QSpinBox()
            spin.setRange(
                int(lo) if lo is not None else -(2**31), int(hi) if hi is not None else 2**31 - 1
            )
            step = fs.get("multipleOf")
            if step:
                spin.setSingleStep(int(step))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(3)
            spin.setRange(
                float(lo) if lo is not None else -1e9, float(hi) if hi is not None else 1e9
            )
            spin.setSingleStep(
                0.1 if (hi is not None and lo is not None and hi - lo <= 20) else 1.0
            )
        spin.setKeyboardTracking(False)
        row.addWidget(spin, 1)
        slider = None
        if lo is not None and hi is not None and hi > lo:
            slider = QSlider(Qt.Horizontal)
            slider.setRange(0, SLIDER_STEPS)
            row.addWidget(slider, 2)

            def from_slider(pos: int) -> None:
                v = lo + (hi - lo) * pos / SLIDER_STEPS
                spin.setValue(int(round(v)) if kind == "int" else v)

            def to_slider(v: float) -> None:
                slider.blockSignals(True)
                slider.setValue(round((v - lo) / (hi - lo) * SLIDER_STEPS))
                slider.blockSignals(False)

            slider.valueChanged.connect(from_slider)
            spin.valueChanged.connect(to_slider)
        spin.valueChanged.connect(lambda v: commit(int(v) if kind == "int" else float(v)))

        def set_value(v: Any) -> None:
            if v is None:
                return
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)
            if slider is not None:
                slider.blockSignals(True)
                slider.setValue(round((float(v) - lo) / (hi - lo) * SLIDER_STEPS))
                slider.blockSignals(False)

        host.set_value = set_value  # type: ignore[attr-defined]
        host.spin = spin  # type: ignore[attr-defined]
        host.slider = slider  # type: ignore[attr-defined]
        return host

    def _file(self, fs: dict[str, Any], commit) -> QWidget:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        line = QLineEdit()
        line.setPlaceholderText("no file chosen")
        button = QPushButton("Browse...")
        row.addWidget(line, 1)
        row.addWidget(button)
        line.editingFinished.connect(lambda: commit(line.text()))

        def browse() -> None:
            start = str(self.doc.base_dir)
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose a file", start, fs.get("filter", "All files (*)")
            )
            if path:
                commit(self._relative(path))

        button.clicked.connect(browse)
        host.set_value = lambda v: line.setText("" if v is None else str(v))  # type: ignore[attr-defined]
        host.line = line  # type: ignore[attr-defined]
        return host

    def _relative(self, path: str) -> str:
        """Paths inside the workflow's folder are stored relative, so the folder can move."""
        from pathlib import Path

        p = Path(path).resolve()
        if self.doc.path is not None:
            try:
                return p.relative_to(self.doc.base_dir).as_posix()
            except ValueError:
                pass
        return str(p)

    def _structured(self, name: str, fs: dict[str, Any], commit) -> QWidget:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        summary = QLabel()
        summary.setStyleSheet("color: #aaa;")
        button = QPushButton("Edit...")
        row.addWidget(summary, 1)
        row.addWidget(button)
        state: dict[str, Any] = {}

        def edit() -> None:
            node_id = self.node_id
            if node_id is None:
                return
            editor = EDITORS.get(fs.get("widget", ""))
            if editor is not None and self.editor_context is not None:
                editor(self.editor_context, node_id, name, state.get("v"))
                return
            else:
                dlg = JsonEditor(
                    self, f"{node_id}: {name}", state.get("v"), lambda v: self._check(name, v)
                )
                value = dlg.value if dlg.exec() == QDialog.Accepted else None
            if value is not None:
                commit(value)

        def set_value(v: Any) -> None:
            state["v"] = v
            summary.setText(_summary(v))

        button.clicked.connect(edit)
        host.set_value = set_value  # type: ignore[attr-defined]
        host.button = button  # type: ignore[attr-defined]
        return host

    def open_editor(self, name: str, fs: dict[str, Any]) -> None:
        editor = EDITORS.get(fs.get("widget", ""))
        if editor is not None and self.node_id is not None and self.editor_context is not None:
            editor(self.editor_context, self.node_id, name, self._values().get(name))

    # -- model <-> widgets ----------------------------------------------------------------------------
    def _check(self, name: str, value: Any) -> str | None:
        node = self.doc.wf.node(self.node_id or "")
        nt = self.registry.get(node.type) if node else None
        if node is None or nt is None:
            return None
        from pydantic import ValidationError

        try:
            nt.params.model_validate(dict(node.params, **{name: value}))
        except ValidationError as e:
            errs = [x for x in e.errors() if tuple(x["loc"][:1]) == (name,)]
            if errs:
                return "; ".join(f"{'.'.join(str(p) for p in x['loc'])}: {x['msg']}" for x in errs)
        return None

    def _commit(self, name: str, value: Any) -> None:
        if self.node_id is None or self._values().get(name) == value:
            return  # showing a value (or a default) is not an edit
        if name.startswith("values."):  # an exposed setting of a recipe instance
            problem = self.doc.set_recipe_value(self.node_id, name[len("values.") :], value)
            if problem:
                self._set(name, self._values().get(name))
            return
        problem = self.doc.set_param(self.node_id, name, value)
        if problem:
            self._set(name, self._values().get(name))  # show what the model kept

    def _set(self, name: str, value: Any) -> None:
        setter = self.setters.get(name)
        if setter is not None:
            setter(value)

    def _params_changed(self, node_id: str) -> None:
        if node_id != self.node_id:
            return
        if self._options() != self.options:  # another backend or model: other drop-downs
            QTimer.singleShot(0, lambda n=node_id: self.show_node(n) if n == self.node_id else None)
            return
        for name, value in self._values().items():
            self._set(name, value)
        self._update_problems()

    def _update_problems(self, *_: object) -> None:
        if self.node_id is None or self.doc.wf.node(self.node_id) is None:
            self.problems.setText("")
            return
        problems = [
            p
            for p in validate(
                self.doc.wf, self.registry, only={self.node_id}, base_dir=self.doc.base_dir
            )
            if p.node == self.node_id
        ]
        self.problems.setText(
            "\n".join(f"{p.where + ': ' if p.where else ''}{p.message}" for p in problems)
        )


class _CommitText(QPlainTextEdit):
    """Multiline text that commits a moment after typing stops, and on leaving the field."""

    def __init__(self, commit: Callable[[str], None]) -> None:
        super().__init__()
        self.commit = commit
        self.setFixedHeight(64)
        self.setTabChangesFocus(True)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(600)
        self._timer.timeout.connect(lambda: self.commit(self.toPlainText()))
        self.textChanged.connect(self._timer.start)

    def set_value(self, v: Any) -> None:
        text = "" if v is None else str(v)
        if text != self.toPlainText():
            self.blockSignals(True)
            self.setPlainText(text)
            self.blockSignals(False)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        if self._timer.isActive():
            self._timer.stop()
            self.commit(self.toPlainText())
        super().focusOutEvent(event)


def _resolve(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Properties with $refs to enums inlined (pydantic puts Literal enums inline already)."""
    defs = schema.get("$defs", {})
    out = {}
    for name, fs in schema.get("properties", {}).items():
        if "$ref" in fs:
            fs = dict(
                defs.get(fs["$ref"].split("/")[-1], {}),
                **{k: v for k, v in fs.items() if k != "$ref"},
            )
        out[name] = fs
    return out


def _summary(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, list):
        return f"{len(v)} item(s)"
    if isinstance(v, dict):
        return f"{len(v)} field(s)"
    if isinstance(v, str) and len(v) > 40:
        return f"{len(v):,} characters"
    return str(v)
