"""The one architectural rule: the engine never imports Qt."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADLESS = ["app/core", "app/media", "app/providers", "nodes", "app/film"]
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
        "for pkg in ('app.core', 'app.media', 'app.providers', 'nodes', 'app.film'):\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'NodeGraphQt', 'pyqtgraph', 'shiboken6')]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- module structure: no import cycles, no layer imported upwards --------------------------------

# the engine's layers, lowest first; the editor and the command line sit on top, side by side
LAYERS = {
    "app.core": 0,
    "app.media": 1,
    "app.providers": 2,
    "app.film": 3,  # the film: sequences, their renders and the cut, over the engine
    "nodes": 3,
    "app.ui": 4,
    "app.cli": 4,
    "app.cli_progress": 4,
    "app.launch": 4,
    "app.qt_libs": 4,
}


def _modules() -> dict[str, Path]:
    mods = {}
    for top in ("app", "nodes"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            mods[name] = path
    return mods


def _imports(mods: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(importer, imported, line) for every import between our modules, at any depth in the
    file (an import inside a function still ties the modules together). ``from pkg import x``
    is an import of pkg.x when x is a module, else of pkg."""
    edges = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in mods
                ]
                targets = subs if len(subs) == len(node.names) else [node.module, *subs]
            for t in targets:
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.append((name, t, node.lineno))
    return edges


def _layer(module: str) -> int | None:
    hits = [
        (len(p), rank) for p, rank in LAYERS.items() if module == p or module.startswith(p + ".")
    ]
    return max(hits)[1] if hits else None


def test_no_import_cycles_between_modules():
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_edges_from((a, b) for a, b, _ in _imports(_modules()))
    assert graph.number_of_edges() > 100  # the scan sees the real structure
    cycles = sorted(" -> ".join([*c, c[0]]) for c in nx.simple_cycles(graph))
    assert cycles == []


def test_layers_only_import_downwards():
    mods = _modules()
    upward = []
    for a, b, line in _imports(mods):
        la, lb = _layer(a), _layer(b)
        if la is not None and lb is not None and lb > la:
            upward.append(f"{mods[a].relative_to(ROOT)}:{line} ({a}) imports {b}")
    assert upward == []


def test_the_structure_check_catches_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above fail when they should: on a copy of the tree with one cycle and one
    upward import added."""
    import shutil

    import networkx as nx

    for top in ("app", "nodes"):
        shutil.copytree(
            ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__", "shipped")
        )
    (tmp_path / "app/media/paint.py").write_text("import app.media.masks\n")
    masks = tmp_path / "app/media/masks.py"
    masks.write_text(
        masks.read_text() + "\nfrom app.media import paint  # noqa\nimport app.ui.theme  # noqa\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    edges = _imports(_modules())
    graph = nx.DiGraph()
    graph.add_edges_from((a, b) for a, b, _ in edges)
    assert ["app.media.masks", "app.media.paint"] in [sorted(c) for c in nx.simple_cycles(graph)]
    assert ("app.media.masks", "app.ui.theme") in {
        (a, b) for a, b, _ in edges if (_layer(b) or 0) > (_layer(a) or 0)
    }
