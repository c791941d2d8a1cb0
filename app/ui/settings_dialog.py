"""Settings: API keys (stored in the system keyring, or the documented fallback file), base URLs,
the cost above which a run asks first, and the default backend for new generator nodes."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.providers import backend_names, key_backends
from app.providers.settings import (
    FALLBACK_WARNING,
    _fallback_file,
    key_parts,
    key_source,
    keyring_available,
    load_settings,
    save_settings,
    set_key,
)


class SettingsDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.resize(620, 520)
        self.settings = load_settings()
        remote = key_backends()
        keys_box = QGroupBox("API keys")
        form = QFormLayout(keys_box)
        self.key_fields: dict[str, dict[str, QLineEdit]] = {}
        for b in remote:
            fields = {}
            for part in key_parts(b):
                f = QLineEdit()
                f.setEchoMode(QLineEdit.Password)
                src = key_source(b)
                f.setPlaceholderText(f"set ({src}); type to replace" if src else "not set")
                f.setObjectName(f"key_{b}_{part}")
                fields[part] = f
                form.addRow(f"{b} {part.replace('_', ' ')}", f)
            self.key_fields[b] = fields
        note = QLabel(
            "Keys are stored in the system keyring."
            if keyring_available()
            else "Warning: " + FALLBACK_WARNING.format(path=_fallback_file())
        )
        note.setWordWrap(True)
        form.addRow(note)
        urls_box = QGroupBox(
            "Base URLs (empty: the provider's; REELGRAPH_<BACKEND>_BASE_URL overrides)"
        )
        urls = QFormLayout(urls_box)
        self.url_fields = {}
        for b in remote:
            f = QLineEdit(self.settings.get("base_urls", {}).get(b, ""))
            f.setObjectName(f"url_{b}")
            self.url_fields[b] = f
            urls.addRow(b, f)
        general = QGroupBox("Runs")
        g = QFormLayout(general)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0, 100000)
        self.threshold.setPrefix("$ ")
        self.threshold.setValue(float(self.settings.get("confirm_above", 5.0)))
        self.default_backend = QComboBox()
        self.default_backend.addItems(backend_names())
        self.default_backend.setCurrentText(self.settings.get("default_backend", "local"))
        g.addRow("Ask before a run estimated above", self.threshold)
        g.addRow("Default backend for new generators", self.default_backend)
        add_comfy = QPushButton("Add ComfyUI workflow...")
        add_comfy.setObjectName("add_comfy")
        add_comfy.setToolTip(
            "Use a workflow exported from ComfyUI with Export (API) as a generator template"
        )
        add_comfy.clicked.connect(
            lambda: parent.add_comfy_workflow() if hasattr(parent, "add_comfy_workflow") else None
        )
        g.addRow("Your ComfyUI server", add_comfy)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (keys_box, urls_box, general, buttons):
            layout.addWidget(w)

    def save(self) -> None:
        for b, fields in self.key_fields.items():
            values = {p: f.text().strip() for p, f in fields.items()}
            if all(values.values()):
                set_key(b, values)
            for f in fields.values():
                f.clear()
        self.settings["base_urls"] = {
            b: f.text().strip() for b, f in self.url_fields.items() if f.text().strip()
        }
        self.settings["confirm_above"] = self.threshold.value()
        self.settings["default_backend"] = self.default_backend.currentText()
        save_settings(self.settings)
        self.accept()
