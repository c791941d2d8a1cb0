"""Hardening figures: the CLI killed with SIGKILL at random moments then run again (the result
must equal a clean run's, with no staging left once a later run has swept it), and two runs on
one cache at the same time (both correct)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _workflow(folder: Path, name: str = "shot") -> Path:
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", folder / "coffee.png")
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": name,
        "nodes": [
            {"id": "p", "type": "prompt", "params": {"subject": "coffee"}},
            {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
            {"id": "c", "type": "camera_path", "params": {"preset": "zoom_in"}},
            {
                "id": "g",
                "type": "generator",
                "params": {"duration": 2, "fps": 24, "width": 640, "height": 360},
            },
            {"id": "m", "type": "motion_brush", "params": {}},
            {"id": "u", "type": "upscale", "params": {"factor": 2}},
            {"id": "e", "type": "export", "params": {"filename": name, "crf": 18}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["i", "image"], "to": ["g", "image"]},
            {"from": ["c", "camera"], "to": ["g", "camera"]},
            {"from": ["g", "video"], "to": ["u", "media"]},
            {"from": ["u", "media"], "to": ["e", "video"]},
            {"from": ["i", "image"], "to": ["m", "image"]},
        ],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def _env(cache: Path) -> dict[str, str]:
    return dict(os.environ, REELGRAPH_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))


def _frames(path: Path) -> list[np.ndarray]:
    from app.media.video import iter_frames

    return list(iter_frames(path))


def _run(wf: Path, cache: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "run", str(wf), "--out", str(out)],
        cwd=wf.parent,
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
    )


def kill_and_resume(rounds: int = 20) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        wf = _workflow(tmp)
        t0 = time.monotonic()
        clean = _run(wf, tmp / "clean-cache", tmp / "clean-out")
        assert clean.returncode == 0, clean.stdout + clean.stderr
        full = time.monotonic() - t0
        reference = _frames(tmp / "clean-out" / "shot.mp4")
        ok = 0
        for r in range(rounds):
            cache, out = tmp / f"cache{r}", tmp / f"out{r}"
            p = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "run", str(wf), "--out", str(out)],
                cwd=tmp,
                env=_env(cache),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.3, full * 0.95))
            p.send_signal(signal.SIGKILL)
            p.wait()
            again = _run(wf, cache, out)
            files = sorted(out.glob("shot*.mp4"))
            staging_left = (
                list((cache / "staging").iterdir()) if (cache / "staging").exists() else []
            )
            same = (
                again.returncode == 0
                and files
                and all(
                    np.array_equal(a, b) for a, b in zip(_frames(files[-1]), reference, strict=True)
                )
            )
            ok += bool(same) and not staging_left
        print(
            f"kill -9 at a random moment, then run again: {ok}/{rounds} equal to a clean run with no staging "
            f"left (clean run {full:.1f} s)"
        )


def concurrent_runs(rounds: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ok = 0
        for r in range(rounds):
            folder = tmp / f"r{r}"
            folder.mkdir()
            a, b = _workflow(folder, "a"), _workflow(folder, "b")
            cache = folder / "cache"
            procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "app.cli", "run", str(w), "--out", str(folder / w.stem)],
                    cwd=folder,
                    env=_env(cache),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for w in (a, b)
            ]
            codes = [p.wait(600) for p in procs]
            outs = [folder / "a" / "a.mp4", folder / "b" / "b.mp4"]
            if codes == [0, 0] and all(o.exists() for o in outs):
                fa, fb = _frames(outs[0]), _frames(outs[1])
                ok += len(fa) == 48 and all(
                    np.array_equal(x, y) for x, y in zip(fa, fb, strict=True)
                )
        print(f"two runs of the same shot on one cache at once: {ok}/{rounds} both correct")


def main() -> None:
    kill_and_resume()
    concurrent_runs()


if __name__ == "__main__":
    main()
