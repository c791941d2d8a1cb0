"""The local generator's storage: a camera move over a still is kept as its recipe."""

import numpy as np

from app.media.images import write_png
from app.media.video import read_frame
from tests.media.helpers import texture


def test_generator_stores_a_camera_move_as_a_small_recipe(runner):
    write_png(runner.tmp / "t.png", texture(640, 400, seed=4))
    r = runner(
        [
            ("p", "prompt", {}),
            ("i", "reference_image", {"path": "t.png"}),
            ("c", "camera_path", {"preset": "zoom_in"}),
            ("g", "generator", {"duration": 4, "fps": 24, "width": 640, "height": 400}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("c", "camera", "g", "camera"),
        ],
    )
    assert r.status == "ok", r.errors
    video = r.outputs["g"]["video"]
    assert video.path.suffix == ".rgshot" and video.meta["frames"] == 96
    entry = sum(f.stat().st_size for f in video.path.parent.rglob("*") if f.is_file())
    assert entry < (runner.tmp / "t.png").stat().st_size * 2 + 64_000
    assert not np.array_equal(read_frame(video.path, 0), read_frame(video.path, -1))


def test_picking_another_take_never_regenerates(runner):
    write_png(runner.tmp / "t.png", texture(320, 200, seed=5))
    nodes = [
        ("p", "prompt", {}),
        ("i", "reference_image", {"path": "t.png"}),
        ("c", "camera_path", {"preset": "pan_left"}),
        ("g", "generator", {"duration": 0.5, "fps": 12, "width": 320, "height": 200, "takes": 3}),
        ("l", "last_frame", {}),
    ]
    links = [
        ("p", "prompt", "g", "prompt"),
        ("i", "image", "g", "image"),
        ("c", "camera", "g", "camera"),
        ("g", "video", "l", "video"),
    ]
    first = runner(nodes, links)
    assert first.states["g"] == "finished" and first.outputs["g"]["video"].path.name.startswith(
        "take_01"
    )
    nodes[3] = (
        "g",
        "generator",
        {"duration": 0.5, "fps": 12, "width": 320, "height": 200, "takes": 3, "selected_take": 2},
    )
    second = runner(nodes, links)
    assert second.states["g"] == "cached"  # the takes are already made (and paid for)
    assert second.outputs["g"]["video"].path.name.startswith("take_02")
    assert second.outputs["g"]["video"].meta["take"] == 2
    assert second.states["l"] == "finished"  # what depends on the choice runs again
    assert second.keys["g"] == first.keys["g"] and second.keys["l"] != first.keys["l"]
