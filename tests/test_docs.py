"""The committed docs stay true: the node reference is exactly what the registry generates, and
the README's commands and doc links exist."""

import re
import subprocess
import sys

from app.core.reference import markdown
from app.core.registry import default_registry
from tests.ui.conftest import ROOT


def test_node_reference_is_generated_from_the_registry():
    committed = (ROOT / "docs" / "nodes.md").read_text()
    assert committed == markdown(default_registry()), "docs/nodes.md is stale: run `make docs`"
    cli = subprocess.run(
        [sys.executable, "-m", "app.cli", "nodes", "--markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert cli.stdout == committed
    for nt in default_registry():
        assert f"(`{nt.id}`)" in committed
        for name in nt.params.model_fields:
            assert f"| `{name}` |" in committed


def test_readme_links_and_images_exist():
    readme = (ROOT / "README.md").read_text()
    assert readme.lstrip().startswith("# Reelgraph")
    assert "make run" in readme.split("\n\n")[1] and "make test" in readme.split("\n\n")[1]
    for target in re.findall(r"\]\(((?:docs|packaging|workflows|resources)/[^)#]+)", readme):
        assert (ROOT / target).exists(), target


def test_backend_capability_table_is_generated_from_the_catalog():
    from app.providers.catalog import markdown_table, shipped_catalog

    committed = (ROOT / "docs" / "backends.md").read_text()
    table = committed.split("<!-- model-table:begin (make docs) -->\n", 1)[1].split(
        "<!-- model-table:end -->"
    )[0]
    assert table == markdown_table(shipped_catalog()), (
        "docs/backends.md's table is stale: run `make docs`"
    )
    for backend, b in shipped_catalog().backends.items():
        for model in b.models:
            assert f"| `{backend}` | {'any valid id' if model == '*' else f'`{model}`'} |" in table


ARCH = ROOT / "docs" / "architecture.md"


def test_architecture_names_only_paths_that_exist():
    text = ARCH.read_text()
    paths = set(re.findall(r"\b((?:app|nodes|tests|resources|docs|workflows)/[\w./]*\w)", text))
    assert len(paths) > 20
    # a module may be named without its .py (app/core/edits ops, app/cli)
    missing = sorted(
        p for p in paths if not (ROOT / p).exists() and not (ROOT / f"{p}.py").exists()
    )
    assert missing == []


def test_architecture_lists_real_node_type_hooks_and_widget_hints():
    import dataclasses

    from app.core.node import NodeType
    from app.ui import editors
    from app.ui.properties import EDITORS

    editors.register()

    text = ARCH.read_text()
    section = text.split("## Adding a node", 1)[1].split("## Adding a backend", 1)[0]
    fields = {f.name for f in dataclasses.fields(NodeType)}
    named = set(re.findall(r"`([a-z_]+)`", section))
    # every optional hook the code has is documented
    optional = fields - {
        "id",
        "title",
        "params",
        "run",
        "version",
        "inputs",
        "outputs",
        "description",
        "category",
        "kind",
        "extra",
    }
    assert optional - named == set()
    for widget in ("mask", "regions", "keyframes", "mouth_box"):
        assert f"`{widget}`" in section and widget in EDITORS
    assert '{"multiline": True}' in section and '"widget": "file"' in section
    props = (ROOT / "app" / "ui" / "properties.py").read_text()
    assert 'schema.get("multiline")' in props and 'schema.get("widget") == "file"' in props


def test_architecture_cache_layout_is_the_caches(tmp_path):
    from app.core.cache import MANIFEST, Cache

    assert (
        "entries/<key[:2]>/<key>/manifest.json" in ARCH.read_text() and MANIFEST == "manifest.json"
    )
    cache = Cache(tmp_path / "c")
    key = "ab" + "0" * 62
    assert cache.entry_dir(key) == tmp_path / "c" / "entries" / "ab" / key
    assert cache.staging_dir == tmp_path / "c" / "staging"
    assert (
        "jobs.sqlite" in ARCH.read_text()
        and "jobs.sqlite" in (ROOT / "app/providers/remote.py").read_text()
    )
