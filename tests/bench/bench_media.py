"""Local media engine figures (make bench):

1. A 5 s, 24 fps, 1920x1080 push-in with a slight pan from a 2560x1440 still, run end to end
   with `reelgraph run` (reference_image -> camera_path -> generator -> export H.264 ultrafast
   CRF 20), timed side by side with ffmpeg's zoompan making the same move with the same
   encoder settings (smooth variant: the still upscaled first). Target: >= 0.8x ffmpeg's speed.
2. A 5 s 1080p motion-brush loop: seconds to render and encode. Target: < 10 s on 2 cores.
3. Peak memory of a 20 s 1080p shot (and a 5 s one, to show it does not grow with duration).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def still(path: Path) -> Path:
    img = cv2.imread(str(ROOT / "resources" / "media" / "coffee.png"))
    big = cv2.resize(img, (2560, 1707), interpolation=cv2.INTER_LANCZOS4)[133 : 133 + 1440]
    cv2.imwrite(str(path), big)
    return path


def workflow(
    path: Path,
    img: Path,
    seconds: float,
    *,
    motion: dict | None = None,
    camera: dict | None = None,
    export: dict | None = None,
) -> Path:
    nodes = [
        {"id": "p", "type": "prompt", "params": {"subject": "coffee"}},
        {"id": "img", "type": "reference_image", "params": {"path": str(img)}},
        {
            "id": "g",
            "type": "generator",
            "params": {"duration": seconds, "fps": 24, "width": 1920, "height": 1080},
        },
    ]
    links = [
        {"from": ["p", "prompt"], "to": ["g", "prompt"]},
        {"from": ["img", "image"], "to": ["g", "image"]},
    ]
    if camera:
        nodes.append({"id": "cam", "type": "camera_path", "params": camera})
        links.append({"from": ["cam", "camera"], "to": ["g", "camera"]})
    if motion:
        nodes.append({"id": "mb", "type": "motion_brush", "params": motion})
        links += [
            {"from": ["img", "image"], "to": ["mb", "image"]},
            {"from": ["mb", "motion"], "to": ["g", "motion"]},
        ]
    if export:
        nodes.append({"id": "e", "type": "export", "params": export})
        links.append({"from": ["g", "video"], "to": ["e", "video"]})
    path.write_text(
        json.dumps(
            {
                "schema": "reelgraph/workflow",
                "version": 1,
                "name": path.stem,
                "nodes": nodes,
                "links": links,
            }
        )
    )
    return path


def reelgraph(wf: Path, tmp: Path, *extra: str) -> tuple[float, int, list[dict]]:
    """Wall seconds, peak RSS (bytes) and the events of one `reelgraph run` in a fresh process."""
    env = dict(os.environ, REELGRAPH_CACHE_DIR=str(tmp / f"cache-{time.monotonic_ns()}"))
    cmd = [
        sys.executable,
        "-c",
        "import resource, sys; from app.cli import main; rc = main(sys.argv[1:]); "
        "sys.stderr.write(f'MAXRSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n'); sys.exit(rc)",
        "run",
        str(wf),
        "--out",
        str(tmp / "renders"),
        "--events",
        "jsonl",
        *extra,
    ]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(p.stderr + p.stdout)
    rss = (
        int(next(line.split()[1] for line in p.stderr.splitlines() if line.startswith("MAXRSS")))
        * 1024
    )
    return wall, rss, [json.loads(line) for line in p.stdout.splitlines()]


def node_seconds(events: list[dict]) -> dict[str, float]:
    starts = {e["node"]: e["t"] for e in events if e["event"] == "started"}
    return {
        e["node"]: e["t"] - starts[e["node"]]
        for e in events
        if e["event"] == "finished" and e["node"] in starts
    }


def bench_camera(tmp: Path, img: Path) -> None:
    print(
        "1. camera push-in + slight pan, 5 s 24 fps 1080p from a 2560x1440 still, H.264 ultrafast CRF 20"
    )
    cam = {
        "preset": "custom",
        "keyframes": [{"t": 0, "ease": "ease_in_out"}, {"t": 1, "zoom": 1.3, "pan": 2.0}],
    }
    wf = workflow(
        tmp / "pushin.json",
        img,
        5,
        camera=cam,
        export={"format": "mp4", "filename": "pushin", "crf": 20, "preset": "ultrafast"},
    )
    wall, rss, events = reelgraph(wf, tmp)
    per = node_seconds(events)
    t_start = next(e["t"] for e in events if e["event"] == "run_started")
    print(
        f"   reelgraph run: {wall:.2f} s wall ({120 / wall:.1f} fps end to end), peak RSS {rss / 2**20:.0f} MiB"
    )
    print(
        f"     where the time goes: process start-up + load {wall - events[-1]['t'] + t_start:.2f} s, "
        f"generator (checks the still, writes the render recipe) {per.get('g', 0):.2f} s, "
        f"export (renders the warps as 4:2:0 + final encode) {per.get('e', 0):.2f} s, other nodes "
        f"{sum(v for k, v in per.items() if k not in ('g', 'e')):.2f} s"
    )
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        print("   ffmpeg not found (apt-get install ffmpeg): side-by-side comparison skipped")
        return
    # zoompan crops whole pixels; the smooth variant upscales the still first (here 3x)
    vf = (
        "scale=7680:4320,zoompan=z='1+0.3*(3*pow(on/119,2)-2*pow(on/119,3))':"
        "x='iw/2-(iw/zoom/2)+on*1.5':y='ih/2-(ih/zoom/2)':d=120:s=1920x1080:fps=24"
    )
    cmd = [
        ffmpeg,
        "-v",
        "error",
        "-y",
        "-loop",
        "1",
        "-i",
        str(img),
        "-vf",
        vf,
        "-frames:v",
        "120",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "20",
        "-pix_fmt",
        "yuv420p",
        str(tmp / "zoompan.mp4"),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    ff = time.perf_counter() - t0
    print(f"   ffmpeg zoompan (smooth variant): {ff:.2f} s wall ({120 / ff:.1f} fps)")
    print(
        f"   speed vs ffmpeg: {ff / wall:.2f}x (target >= 0.8x: {'ok' if ff / wall >= 0.8 else 'MISSED'})"
    )


def bench_motion(tmp: Path, img: Path) -> None:
    from app.media.masks import encode_mask

    print("2. motion-brush loop, 5 s 24 fps 1080p (render + lossless encode, then H.264 export)")
    frame = cv2.imread(str(img))
    h, w = frame.shape[:2]
    static = np.zeros((h, w), np.uint8)
    cv2.ellipse(static, (w // 2, h // 2), (w // 4, h // 3), 0, 0, 360, 255, -1)
    region = np.zeros((h, w), np.uint8)
    region[: h // 3] = 255
    motion = {
        "static_mask": encode_mask(static),
        "loop": True,
        "regions": [
            {
                "name": "top",
                "mask": encode_mask(region),
                "trajectory": [[200, 200], [400, 190], [600, 200]],
            }
        ],
    }
    wf = workflow(
        tmp / "loop.json",
        img,
        5,
        motion=motion,
        export={"format": "mp4", "filename": "loop", "crf": 20, "preset": "ultrafast"},
    )
    wall, rss, events = reelgraph(wf, tmp)
    per = node_seconds(events)
    print(
        f"   generator (render + encode): {per.get('g', 0):.2f} s (target < 10 s: "
        f"{'ok' if per.get('g', 99) < 10 else 'MISSED'}); whole run incl. export {wall:.2f} s; "
        f"peak RSS {rss / 2**20:.0f} MiB"
    )


def bench_memory(tmp: Path, img: Path) -> None:
    print("3. peak memory, 1080p camera move rendered and exported to H.264 (streamed end to end)")
    cam = {"preset": "zoom_in"}
    for seconds in (5, 20):
        wf = workflow(
            tmp / f"mem{seconds}.json",
            img,
            seconds,
            camera=cam,
            export={"format": "mp4", "filename": f"mem{seconds}", "crf": 20, "preset": "ultrafast"},
        )
        wall, rss, _ = reelgraph(wf, tmp)
        print(
            f"   {seconds:2d} s shot: peak RSS {rss / 2**20:.0f} MiB in {wall:.1f} s "
            f"(target < 1.5 GB and flat: {'ok' if rss < 1.5e9 else 'MISSED'})"
        )


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        img = still(tmp / "still_2560x1440.png")
        bench_camera(tmp, img)
        bench_motion(tmp, img)
        bench_memory(tmp, img)
