"""Adding a ComfyUI workflow from the editor: the Export (API) file, the mapping Reelgraph proposes
(by node class, and by the server's /object_info when it answers), shown for the user to
confirm or change, checked, then saved as a template (app.providers.comfy_templates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.providers import comfy_templates as ct

NOT_MAPPED = "(not mapped)"


class ComfyTemplateDialog(QDialog):
    def __init__(
        self, parent: QWidget | None, path: Path, object_info: dict[str, Any] | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Add ComfyUI workflow: {path.name}")
        self.resize(640, 520)
        self.saved: Path | None = None
        self.graph = ct.api_graph(ct.read_file(path))  # TemplateError: the caller says why
        self.object_info = object_info
        mapping, self.frames, output, notes = ct.propose(self.graph, object_info)
        self.source = path.name
        self.name = QLineEdit(path.stem)
        self.name.setObjectName("comfy_name")
        form = QFormLayout()
        form.addRow("Template name", self.name)
        nodes = [
            (nid, f"node {nid} ({n['class_type']})")
            for nid, n in sorted(self.graph.items(), key=lambda kv: (len(kv[0]), kv[0]))
        ]
        self.rows: dict[str, tuple[QComboBox, QLineEdit]] = {}
        for role in ct.ROLES:
            target = (mapping.get(role) or [[None, ""]])[0]
            node = QComboBox()
            node.setObjectName(f"comfy_node_{role}")
            node.addItem(NOT_MAPPED, None)
            for nid, label in nodes:
                node.addItem(label, nid)
            node.setCurrentIndex(max(0, node.findData(target[0])))
            field = QLineEdit(target[1])
            field.setObjectName(f"comfy_input_{role}")
            field.setPlaceholderText("input name")
            host = QWidget()
            row = QVBoxLayout(host)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(node)
            row.addWidget(field)
            extra = len(mapping.get(role) or []) - 1
            if extra > 0:
                row.addWidget(QLabel(f"and {extra} more input(s), kept as found"))
            form.addRow(role.replace("_", " "), host)
            self.rows[role] = (node, field)
        self.extra = {r: t[1:] for r, t in mapping.items() if len(t) > 1}
        self.output = QComboBox()
        self.output.setObjectName("comfy_output")
        for nid, label in nodes:
            self.output.addItem(label, nid)
        self.output.setCurrentIndex(max(0, self.output.findData(output)))
        form.addRow("the video comes from", self.output)
        grid = (
            f"frame counts {self.frames['step']}n+{self.frames['offset']} (at least {self.frames['min']})"
            if self.frames
            else "any frame count"
        )
        info = (
            "checked against the server"
            if object_info is not None
            else "the server did not answer: checked "
            "by node class now, against the server before each run"
        )
        self.notes = QLabel("\n".join([grid, info, *notes]))
        self.notes.setWordWrap(True)
        self.problems = QLabel("")
        self.problems.setObjectName("comfy_problems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #f08080;")
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notes)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

    def template(self) -> ct.Template:
        mapping: dict[str, list[list[str]]] = {}
        for role, (node, field) in self.rows.items():
            if node.currentData() is not None and field.text().strip():
                mapping[role] = [
                    [node.currentData(), field.text().strip()],
                    *self.extra.get(role, []),
                ]
        return ct.Template(
            name=self.name.text().strip(),
            workflow=self.graph,
            mapping=mapping,
            frames=self.frames,
            output=self.output.currentData(),
            source=self.source,
            added=ct.added_today(),
        )

    def save(self) -> None:
        t = self.template()
        problems = ct.problems(t, self.object_info)
        problems += [
            f"'{r}' is not mapped: the {r} a generator sets would be ignored"
            for r in ct.missing(t, set(ct.ALWAYS_SET))
        ]
        if problems:
            self.problems.setText("\n".join(problems))
            return
        try:
            self.saved = ct.save(t)
        except ct.TemplateError as e:
            self.problems.setText(str(e))
            return
        self.accept()
