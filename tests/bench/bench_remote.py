"""Remote concurrency (make bench): eight generator nodes on the Kling backend against a fake
server on 127.0.0.1 whose jobs take 2 s each. Remote work runs concurrently (its own pool, not
the CPU's), so the run takes about 2-3 s, not 16 s."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    import numpy as np

    from app.core.cache import Cache
    from app.core.executor import Executor
    from app.core.registry import default_registry
    from app.core.workflow import Workflow
    from tests.media.helpers import texture, write_video
    from tests.providers.fakes import ACCESS, SECRET, FakeKling

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        video = write_video(
            tmp / "r.mp4", [np.roll(texture(320, 180), i, axis=1) for i in range(12)]
        )
        shutil.copy(root / "resources" / "media" / "coffee.png", tmp / "coffee.png")
        with FakeKling(video, latency=2.0) as server:
            os.environ.update(
                REELGRAPH_KLING_BASE_URL=server.url,
                REELGRAPH_KLING_ACCESS_KEY=ACCESS,
                REELGRAPH_KLING_SECRET_KEY=SECRET,
                REELGRAPH_POLL_INTERVAL="0.1",
                REELGRAPH_CONFIG_DIR=str(tmp / "config"),
            )
            nodes = [
                {"id": "p", "type": "prompt", "params": {"subject": "x"}},
                {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
            ]
            links = []
            for k in range(8):
                nodes.append(
                    {
                        "id": f"g{k}",
                        "type": "generator",
                        "params": {
                            "backend": "kling",
                            "model": "kling-v1",
                            "duration": 5,
                            "seed": k,
                        },
                    }
                )
                links += [
                    {"from": ["p", "prompt"], "to": [f"g{k}", "prompt"]},
                    {"from": ["i", "image"], "to": [f"g{k}", "image"]},
                ]
            wf = Workflow.model_validate({"name": "eight", "nodes": nodes, "links": links})
            ex = Executor(default_registry(), Cache(tmp / "cache"))
            t0 = time.perf_counter()
            result = ex.run(wf, base_dir=tmp, out_dir=tmp / "renders")
            wall = time.perf_counter() - t0
            assert result.status == "ok", result.errors
            print(
                f"8 generator nodes, fake Kling jobs of 2 s each: {wall:.2f} s wall "
                f"({server.count('POST', '/image2video')} submits; serial would be 16 s; target about 2-3 s: "
                f"{'ok' if wall < 3.5 else 'MISSED'})"
            )
