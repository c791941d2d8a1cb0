"""The local generator's storage: a camera move over a still is kept as its recipe."""

import numpy as np

from app.media.images import write_png
from app.media.video import read_frame
from tests.media.helpers import texture


def test_generator_stores_a_camera_move_as_a_small_recipe(runner):
    write_png(runner.tmp / "t.png", texture(640, 400, seed=4))
    r = runner([("p", "prompt", {}), ("i", "reference_image", {"path": "t.png"}),
                ("c", "camera_path", {"preset": "zoom_in"}),
                ("g", "generator", {"duration": 4, "fps": 24, "width": 640, "height": 400})],
               [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image"), ("c", "camera", "g", "camera")])
    assert r.status == "ok", r.errors
    video = r.outputs["g"]["video"]
    assert video.path.suffix == ".rgshot" and video.meta["frames"] == 96
    entry = sum(f.stat().st_size for f in video.path.parent.rglob("*") if f.is_file())
    assert entry < (runner.tmp / "t.png").stat().st_size * 2 + 64_000
    assert not np.array_equal(read_frame(video.path, 0), read_frame(video.path, -1))
