"""The wheel works outside the clone: built from the project, installed into a fresh venv in a
folder away from the repository, it lists nodes, renders a shipped example, estimates a paid
run and opens the editor, finding its data (resources, workflows, docs) inside the package."""

import os
import site
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("PYTHON")
    }  # nothing of the clone
    # `python -m build` as a release would: the sdist first, then the wheel built from the sdist
    # (so the sdist is proven to carry everything the wheel needs)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    [wheel] = (tmp / "dist").glob("reelgraph-*.whl")
    [sdist] = (tmp / "dist").glob("reelgraph-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for shipped in ("resources/models.json", "workflows/demo.json", "docs/nodes.md", "LICENSE"):
        assert shipped in names, f"the sdist lacks {shipped}"
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=clean)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
        env=clean,
    )
    # the dependencies come from this environment's site-packages (a path line, not a site dir:
    # its .pth files, the clone's editable install among them, are not read)
    purelib = Path(
        subprocess.check_output(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True
        ).strip()
    )
    (purelib / "zz_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv, tmp


def run(venv, tmp, *args, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    e.update(
        REELGRAPH_CACHE_DIR=str(tmp / "cache"),
        REELGRAPH_STATE_DIR=str(tmp / "state"),
        REELGRAPH_CONFIG_DIR=str(tmp / "config"),
        REELGRAPH_LOG_DIR=str(tmp / "logs"),
        **env,
    )
    return subprocess.run(
        [str(venv / "bin" / "reelgraph"), *args],
        capture_output=True,
        text=True,
        cwd=tmp,
        env=e,
        timeout=300,
    )


def test_the_wheel_runs_away_from_the_clone(installed):
    venv, tmp = installed
    where = subprocess.check_output(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import app, app.core.resources as r; print(app.__file__); "
            "print(r.data_dir('workflows'))",
        ],
        text=True,
        cwd=tmp,
    ).split()
    assert where[0].startswith(str(venv)) and where[1].startswith(
        str(venv)
    )  # not the clone's code or data
    assert run(venv, tmp, "--version").stdout.startswith("reelgraph ")
    assert "motion_brush" in run(venv, tmp, "nodes", "--json").stdout
    example = Path(where[1]) / "camera_move.json"
    out = run(
        venv,
        tmp,
        "run",
        str(example),
        "--out",
        str(tmp / "renders"),
        "--set",
        "shot.width=320",
        "--set",
        "shot.height=180",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert list((tmp / "renders").glob("*.mp4"))
    prices = run(
        venv, tmp, "models", "--backend", "kling"
    )  # the shipped catalog, read from the package
    assert prices.returncode == 0 and "$" in prices.stdout and "kling-v1" in prices.stdout, (
        prices.stderr
    )
    dry = run(venv, tmp, "run", str(example), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    shot = tmp / "editor.png"
    ed = run(venv, tmp, QT_QPA_PLATFORM="offscreen", REELGRAPH_SMOKE_SCREENSHOT=str(shot))
    assert ed.returncode == 0, ed.stderr[-2000:]
    assert "smoke: 5 nodes in demo" in ed.stdout and shot.stat().st_size > 20_000


def test_installed_examples_copy_out_run_and_recipes_come_from_the_package(installed):
    """What an installed user has without a clone: the examples (copied out, with their media),
    the shipped recipe library, and a shipped example run in place writes beside the user."""
    venv, tmp = installed
    listed = run(venv, tmp, "examples")
    assert (
        listed.returncode == 0 and "demo" in listed.stdout and "two_shot_sequence" in listed.stdout
    )
    copied = run(venv, tmp, "examples", "--copy", str(tmp / "ex"))
    assert copied.returncode == 0, copied.stderr
    seq = tmp / "ex" / "workflows" / "two_shot_sequence.json"
    small = [
        "--set",
        "shot1.values.width=160",
        "--set",
        "shot1.values.height=90",
        "--set",
        "shot2.values.width=160",
        "--set",
        "shot2.values.height=90",
    ]
    out = run(venv, tmp, "run", str(seq), "--out", str(tmp / "seq"), *small)
    assert out.returncode == 0, out.stdout + out.stderr
    assert {p.name for p in (tmp / "seq").glob("*.mp4")} == {"seq_shot1.mp4", "seq_shot2.mp4"}
    assert "push_in_shot" in run(venv, tmp, "recipe", "list").stdout
    # every package of the source tree is in the wheel (app.film once was not)
    script = ROOT / "tests" / "data" / "short_film.fountain"
    imported = run(
        venv,
        tmp,
        "sequence",
        "import",
        str(script),
        "-o",
        str(tmp / "film.json"),
        "--size",
        "96x54",
    )
    assert imported.returncode == 0, imported.stderr
    # a shipped example run where it is installed: renders land in the working folder
    work = tmp / "cwd"
    work.mkdir()
    shipped = Path(run(venv, tmp, "examples").stdout.split("they are in ")[1].split("\n")[0])
    inplace = subprocess.run(
        [
            str(venv / "bin" / "reelgraph"),
            "run",
            str(shipped / "camera_move.json"),
            "--set",
            "shot.width=160",
            "--set",
            "shot.height=90",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
            "REELGRAPH_CACHE_DIR": str(tmp / "cache"),
            "REELGRAPH_CONFIG_DIR": str(tmp / "config"),
        },
    )
    assert inplace.returncode == 0, inplace.stderr
    assert (work / "renders" / "cat_pan.mp4").exists() and not (shipped / "renders").exists()


def test_a_resources_folder_beside_the_installed_app_is_not_ours(installed):
    venv, tmp = installed
    purelib = Path(
        subprocess.check_output(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            text=True,
        ).strip()
    )
    (purelib / "resources").mkdir(exist_ok=True)  # what another package might leave there
    try:
        prices = run(venv, tmp, "models", "--backend", "kling")
        assert prices.returncode == 0 and "kling-v1" in prices.stdout, prices.stderr
    finally:
        (purelib / "resources").rmdir()


def test_every_package_of_the_source_tree_is_in_the_wheel(installed):
    import zipfile

    _, tmp = installed
    [wheel] = (tmp / "dist").glob("reelgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = [
        p.relative_to(ROOT).as_posix()
        for top in ("app", "nodes")
        for p in (ROOT / top).rglob("__init__.py")
    ]
    assert packages and [p for p in packages if p not in names] == []
