"""Still-render recipes: a camera move stored as still + path renders the same frames wherever
it is read, costs a fraction of a lossless file, and keeps working on its own."""

import json

import cv2
import numpy as np
import pytest

from app.core.errors import NodeError
from app.media import shotfile
from app.media.camera import CameraPath
from app.media.encode import export
from app.media.images import write_png
from app.media.render import camera_renderer, i420_renderer
from app.media.video import VideoWriter, iter_frames, probe, read_frame
from tests.media.helpers import texture

PATH = CameraPath.model_validate(
    {"keyframes": [{"t": 0, "ease": "ease_in_out"}, {"t": 1, "zoom": 1.4, "pan": 3.0, "roll": 2.0}]}
)


@pytest.fixture
def recipe(tmp_path):
    src = write_png(tmp_path / "still.png", texture(480, 300, seed=3))
    (tmp_path / "shot").mkdir()
    path = shotfile.write(
        tmp_path / "shot" / "take_01.rgshot",
        src,
        width=322,
        height=182,
        fps=12,
        frames=9,
        camera=PATH.model_dump(mode="json"),
    )
    return path, src


def test_recipe_reads_like_a_video_with_the_renderers_frames(recipe):
    path, src = recipe
    meta = probe(path)
    assert (meta.width, meta.height, meta.frames, meta.fps, meta.has_audio) == (
        322,
        182,
        9,
        12.0,
        False,
    )
    expected = camera_renderer(cv2.imread(str(src)), PATH, (322, 182), 9)
    frames = list(iter_frames(path))
    assert len(frames) == 9
    for i, f in enumerate(frames):
        assert np.array_equal(f, expected(i))
    assert not np.array_equal(frames[0], frames[-1])  # it moves
    assert np.array_equal(read_frame(path, -1), frames[-1]) and np.array_equal(
        read_frame(path, 4), frames[4]
    )
    with pytest.raises(NodeError, match="frame 9 does not exist"):
        read_frame(path, 9)


def test_recipe_keeps_its_own_copy_of_the_still(recipe):
    path, src = recipe
    before = read_frame(path, 3)
    src.unlink()
    assert np.array_equal(read_frame(path, 3), before)


def test_damaged_recipe_is_a_clear_error(recipe):
    path, _ = recipe
    path.write_text(json.dumps({"schema": "something else"}))
    with pytest.raises(NodeError, match="cannot read take_01.rgshot"):
        probe(path)
    path.write_text("{truncated")
    with pytest.raises(NodeError, match="re-run the generator"):
        list(iter_frames(path))


def psnr(a, b):
    return cv2.PSNR(np.ascontiguousarray(a), np.ascontiguousarray(b))


@pytest.mark.parametrize("size", [(640, 400), (322, 182), (64, 36)])
def test_planar_420_render_is_as_good_as_converting_the_bgr_render(size):
    W, H = size
    still = cv2.GaussianBlur(texture(960, 600, seed=9), (0, 0), 2.0)  # photographic, not noise
    render = camera_renderer(still, PATH, size, 5)
    planar = i420_renderer(render, size)
    for i in (0, 2, 4):
        bgr = render(i)
        want = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
        got = planar(i)
        assert got.shape == want.shape == (H * 3 // 2, W)
        assert (
            np.abs(got[:H].astype(int) - want[:H].astype(int)).max() <= 2
        )  # luma: only rounding differs
        # chroma is resampled in another order; the picture must be no worse than converting
        back = cv2.cvtColor(got, cv2.COLOR_YUV2BGR_I420)
        assert psnr(back, bgr) > psnr(cv2.cvtColor(want, cv2.COLOR_YUV2BGR_I420), bgr) - 1.0


def test_mp4_from_a_recipe_matches_the_render(recipe, tmp_path):
    path, src = recipe
    [out] = export(path, tmp_path / "o.mp4", "mp4", crf=10, preset="ultrafast")
    meta = probe(out)
    assert (meta.width, meta.height, meta.frames, meta.codec) == (322, 182, 9, "h264")
    # the same frames written as a lossless file and exported the ordinary way (swscale)
    lossless = tmp_path / "l.mkv"
    with VideoWriter(lossless, 322, 182, 12) as w:
        for f in iter_frames(path):
            w.write(f)
    [ordinary] = export(lossless, tmp_path / "n.mp4", "mp4", crf=10, preset="ultrafast")
    for got, other, want in zip(
        iter_frames(out), iter_frames(ordinary), iter_frames(path), strict=True
    ):
        assert psnr(got, want) > psnr(other, want) - 1.0


@pytest.mark.parametrize(
    "change, said",
    [
        ({"width": 20000, "height": 20000}, "width: Input should be less than or equal to 16384"),
        ({"width": 16000, "height": 9000}, "the limit is 8K"),
        ({"frames": 1_000_000_000}, "lasts"),
        ({"fps": 1e6}, "frames a second"),
        ({"fps": 0}, "fps: Input should be greater than 0"),
        ({"source": "../../etc/passwd"}, "source: String should match pattern"),
        ({"source": "/etc/hosts"}, "source: String should match pattern"),
        ({"source": "gone.png"}, "is not beside it"),
        ({"camera": {"keyframes": [{"t": 0, "zoom": -5}]}}, "cannot read"),
        ({"width": "wide"}, "width: Input should be a valid integer"),
    ],
)
def test_a_hostile_recipe_is_refused_before_anything_is_rendered(recipe, change, said):
    recipe = recipe[0]
    """A recipe is a file a user can pick: it gets the limits a video file gets, and its still
    must be the file beside it."""
    doc = json.loads(recipe.read_text())
    doc.update(change)
    recipe.write_text(json.dumps(doc))
    with pytest.raises(NodeError, match=said.replace("(", r"\(")):
        probe(recipe)


@pytest.mark.parametrize("text", ["[1, 2]", "null", "42", '"x"', "[" * 5000 + "]" * 5000])
def test_a_recipe_that_is_not_an_object_is_a_clear_error(recipe, text):
    recipe = recipe[0]
    recipe.write_text(text)
    with pytest.raises(NodeError, match="cannot read take_01.rgshot"):
        probe(recipe)


def test_load_video_of_a_recipe_keeps_its_still_and_follows_its_content(recipe, tmp_path):
    """Picked in load_video, a recipe travels with its own still; repainting that still gives
    another result (the still is part of what the node read), never the old picture."""
    from app.core.cache import Cache
    from app.core.executor import Executor
    from app.core.registry import default_registry
    from app.core.workflow import Workflow

    recipe = recipe[0]
    wf = Workflow.model_validate(
        {
            "nodes": [
                {"id": "src", "type": "load_video", "params": {"path": str(recipe)}},
                {"id": "out", "type": "export", "params": {"format": "mp4", "filename": "x"}},
            ],
            "links": [{"from": ["src", "video"], "to": ["out", "video"]}],
        }
    )
    ex = Executor(default_registry(), Cache(tmp_path / "cache"))
    first = ex.run(wf, base_dir=tmp_path, out_dir=tmp_path / "o")
    assert first.status == "ok", first.errors
    still = recipe.parent / json.loads(recipe.read_text())["source"]
    red = np.zeros((300, 480, 3), np.uint8)
    red[:, :, 2] = 255
    still.unlink()  # a hard link to the source: replace the file, do not write through it
    write_png(still, red)
    second = ex.run(wf, base_dir=tmp_path, out_dir=tmp_path / "o")
    assert second.status == "ok" and second.keys["src"] != first.keys["src"]
    frame = read_frame(second.outputs["out"]["file"].path, 0)
    assert frame[:, :, 2].mean() > 200 and frame[:, :, 1].mean() < 40
