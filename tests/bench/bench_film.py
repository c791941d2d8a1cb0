"""Issue 18: twelve local-engine shots of 3 s at 720p, rendered by the plain local executor and
on a local Ray cluster (the machine's CPUs), each from an empty cache; the cut written after.
On a 2-core machine the point is correctness and overhead: the per-shot overhead is printed."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOTS = 12
MOVES = ["zoom_in", "pan_left", "pan_right", "tilt_up", "tilt_down", "zoom_out"]


def _film(folder: Path) -> Path:
    media = folder / "media"
    media.mkdir(parents=True)
    stills = ["coffee.png", "chelsea.png", "astronaut.png"]
    for s in stills:
        shutil.copy(ROOT / "resources" / "media" / s, media / s)
    shots = []
    for i in range(SHOTS):
        wf = {
            "schema": "reelgraph/workflow",
            "version": 1,
            "name": f"s{i}",
            "nodes": [
                {"id": "p", "type": "prompt", "params": {"subject": f"shot {i}"}},
                {
                    "id": "still",
                    "type": "reference_image",
                    "params": {"path": f"media/{stills[i % 3]}"},
                },
                {
                    "id": "shot",
                    "type": "recipe",
                    "params": {
                        "source": "library:push_in_shot",
                        "values": {
                            "move": MOVES[i % len(MOVES)],
                            "intensity": 0.5 + 0.05 * i,
                            "seconds": 3,
                            "width": 1280,
                            "height": 720,
                            "file": f"shot{i:02d}",
                        },
                    },
                },
            ],
            "links": [
                {"from": ["p", "prompt"], "to": ["shot", "prompt"]},
                {"from": ["still", "image"], "to": ["shot", "still"]},
            ],
        }
        shots.append({"name": f"shot{i:02d}", "workflow": wf, "output": "shot"})
    path = folder / "film.json"
    path.write_text(
        json.dumps({"schema": "reelgraph/sequence", "version": 1, "name": "bench", "shots": shots})
    )
    return path


def main() -> None:
    from app.core.cache import Cache
    from app.core.registry import default_registry
    from app.core.sequence import load_sequence
    from app.film.render import render_film, render_shots

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = _film(folder)
        seq = load_sequence(path)
        reg = default_registry()
        t0 = time.monotonic()
        local = render_shots(seq, path, reg, Cache(folder / "c_local"), folder / "out_local")
        t_local = time.monotonic() - t0
        assert all(s.status == "ok" for s in local), [s.error for s in local]
        import ray

        t0 = time.monotonic()
        ray.init(include_dashboard=False, log_to_driver=False)
        t_init = time.monotonic() - t0
        t0 = time.monotonic()
        remote = render_shots(
            seq, path, reg, Cache(folder / "c_ray"), folder / "out_ray", ray="auto"
        )
        t_ray = time.monotonic() - t0
        ray.shutdown()
        assert all(s.status == "ok" for s in remote), [s.error for s in remote]
        t0 = time.monotonic()
        film = render_film(seq, path, reg, Cache(folder / "c_local"), folder / "out_cut")
        t_cut = time.monotonic() - t0
    print(f"   {SHOTS} shots of 3 s at 1280x720 (push-in recipe, local engine), empty caches:")
    print(f"   plain local executor: {t_local:.1f} s ({t_local / SHOTS:.2f} s a shot)")
    print(
        f"   local Ray cluster ({ray.cluster_resources().get('CPU', '?') if ray.is_initialized() else 'all'} "
        f"CPUs): {t_ray:.1f} s ({t_ray / SHOTS:.2f} s a shot) + {t_init:.1f} s to start the cluster"
    )
    print(
        f"   Ray overhead: {(t_ray - t_local) / SHOTS:+.2f} s a shot ({t_ray / t_local:.2f}x the local time)"
    )
    print(
        f"   the cut of the cached shots (12 clips re-encoded + one MP4): {t_cut:.1f} s, "
        f"{len(film.clips)} clips"
    )
