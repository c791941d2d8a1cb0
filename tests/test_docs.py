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
