"""The one architectural rule: the engine never imports Qt."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLESS = ["app/core", "app/media", "app/providers", "nodes"]
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "Qt", "NodeGraphQt", "pyqtgraph", "shiboken6", "app.ui")


def test_no_qt_imports_in_headless_sources():
    offenders = []
    for folder in HEADLESS:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                for name in names:
                    if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


def test_engine_and_cli_load_without_qt():
    code = (
        "import sys, pkgutil, importlib\n"
        "import app.cli, app.core.executor, app.core.registry\n"
        "app.core.registry.default_registry()\n"
        "for pkg in ('app.core', 'app.media', 'app.providers', 'nodes'):\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'NodeGraphQt', 'pyqtgraph', 'shiboken6')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
