"""Every example workflow runs offline, end to end, at a small resolution."""

from pathlib import Path

import pytest

from app.core.cache import Cache
from app.core.executor import Executor
from app.core.fileio import load_workflow
from app.core.registry import default_registry
from app.core.validate import validate
from app.media.video import probe

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "workflows").glob("*.json"))


def test_there_are_at_least_five_examples_plus_the_demo():
    names = {p.stem for p in WORKFLOWS}
    assert "demo" in names and len(names - {"demo"}) >= 5


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_example_runs_end_to_end(path, tmp_path):
    wf = load_workflow(path)
    assert validate(wf, default_registry()) == []
    for node in wf.nodes:
        if node.type == "generator":
            w, h = node.params.get("width", 1280), node.params.get("height", 720)
            scale = 240 / max(w, h)
            node.params.update(
                width=max(16, int(w * scale) // 2 * 2),
                height=max(16, int(h * scale) // 2 * 2),
                duration=min(float(node.params.get("duration", 5)), 1.0),
            )
    result = Executor(default_registry(), Cache(tmp_path / "cache")).run(
        wf, base_dir=path.parent, out_dir=tmp_path / "renders"
    )
    assert result.status == "ok", result.errors
    delivered = [p for files in result.delivered.values() for p in files]
    assert delivered, "an example should write something to the output folder"
    for p in delivered:
        assert p.exists() and p.stat().st_size > 0
        if p.suffix in (".mp4", ".mov", ".gif", ".webm"):
            meta = probe(p)
            assert meta.frames > 0
    if any(n.type == "export" and n.params.get("timeline") for n in wf.nodes):
        assert {p.suffix for p in result.run_files} == {".otio", ".xml", ".edl"}
