"""The PyInstaller one-folder bundle: builds, answers --version, renders an example workflow
headless, and opens the editor on the demo (a screenshot proves the window and its graph)."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.ui.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    if shutil.which("pyinstaller", path=os.path.dirname(sys.executable)) is None:
        pytest.skip("pyinstaller is not installed (pip install -e '.[package]')")
    d = tmp_path_factory.mktemp("bundle")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--distpath",
            str(d / "dist"),
            "--workpath",
            str(d / "build"),
            str(ROOT / "packaging" / "reelgraph.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    exe = d / "dist" / "reelgraph" / "reelgraph"
    assert exe.exists()
    return exe


def env(tmp_path, **extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    e.update(
        REELGRAPH_CACHE_DIR=str(tmp_path / "cache"),
        REELGRAPH_STATE_DIR=str(tmp_path / "state"),
        REELGRAPH_CONFIG_DIR=str(tmp_path / "config"),
        REELGRAPH_LOG_DIR=str(tmp_path / "logs"),
        **extra,
    )
    return e


def test_bundle_runs_an_example_workflow_headless(bundle, tmp_path):
    assert subprocess.run(
        [str(bundle), "--version"], capture_output=True, text=True
    ).stdout.startswith("reelgraph ")
    wf = bundle.parent / "_internal" / "workflows" / "camera_move.json"
    out = subprocess.run(
        [
            str(bundle),
            "run",
            str(wf),
            "--out",
            str(tmp_path / "renders"),
            "--set",
            "shot.width=320",
            "--set",
            "shot.height=180",
        ],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        timeout=300,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    files = list((tmp_path / "renders").glob("*.mp4"))
    assert files and files[0].stat().st_size > 1000
    nodes = subprocess.run(
        [str(bundle), "nodes", "--json"], capture_output=True, text=True, env=env(tmp_path)
    )
    assert "motion_brush" in nodes.stdout  # node modules are discovered inside the bundle


def test_bundle_opens_the_editor_on_the_demo(bundle, tmp_path):
    shot = tmp_path / "editor.png"
    out = subprocess.run(
        [str(bundle)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env(tmp_path, QT_QPA_PLATFORM="offscreen", REELGRAPH_SMOKE_SCREENSHOT=str(shot)),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (
        "smoke: 5 nodes in demo: morning coffee push-in (from template) (not saved)" in out.stdout
    )
    assert shot.stat().st_size > 20_000
