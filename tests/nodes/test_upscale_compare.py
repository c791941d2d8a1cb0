"""upscale (lanczos and a real ONNX model through onnxruntime), compare grids, last_frame, prompt."""

import shutil

import cv2
import numpy as np
import pytest

from app.media.video import iter_frames, probe
from tests.media.helpers import texture, write_video


def test_upscale_image_and_video_keep_their_type(runner):
    cv2.imwrite(str(runner.tmp / "s.png"), texture(160, 90))
    write_video(runner.tmp / "v.mp4", [texture(160, 90, seed=i) for i in range(6)])
    r = runner(
        [
            ("i", "reference_image", {"path": "s.png"}),
            ("ui", "upscale", {"factor": 4}),
            ("v", "load_video", {"path": "v.mp4"}),
            ("uv", "upscale", {"factor": 2}),
        ],
        [("i", "image", "ui", "media"), ("v", "video", "uv", "media")],
    )
    assert r.status == "ok", r.errors
    img = cv2.imread(str(r.outputs["ui"]["media"].path))
    assert img.shape == (360, 640, 3) and r.outputs["ui"]["media"].type == "IMAGE"
    meta = probe(r.outputs["uv"]["media"].path)
    assert (meta.width, meta.height, meta.frames) == (320, 180, 6) and r.outputs["uv"][
        "media"
    ].type == "VIDEO"


def test_upscale_type_follows_the_input_in_validation(runner):
    from app.core.errors import WorkflowError

    with pytest.raises(WorkflowError, match="type mismatch"):
        runner(
            [
                ("i", "reference_image", {"path": "x.png"}),
                ("u", "upscale", {}),
                ("e", "export", {}),
            ],
            [("i", "image", "u", "media"), ("u", "media", "e", "video")],
        )


def test_onnx_model_runs_tiled(runner):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    # a real x2 model: nearest-neighbour Resize, so the expected output is known exactly
    scales = helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 2, 2])
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")
    graph = helper.make_graph(
        [node],
        "x2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, None, None])],
        [scales],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, runner.tmp / "x2.onnx")
    src = texture(150, 100)
    cv2.imwrite(str(runner.tmp / "s.png"), src)
    r = runner(
        [
            ("i", "reference_image", {"path": "s.png"}),
            ("u", "upscale", {"factor": 2, "method": "onnx", "model_path": "x2.onnx", "tile": 32}),
        ],
        [("i", "image", "u", "media")],
    )
    assert r.status == "ok", r.errors
    out = cv2.imread(str(r.outputs["u"]["media"].path))
    expected = cv2.resize(src, (300, 200), interpolation=cv2.INTER_NEAREST)
    assert np.abs(out.astype(int) - expected).max() <= 1  # tiles stitched without seams
    wrong = runner(
        [
            ("i", "reference_image", {"path": "s.png"}),
            ("u", "upscale", {"factor": 4, "method": "onnx", "model_path": "x2.onnx"}),
        ],
        [("i", "image", "u", "media")],
    )
    assert "the model scales by 2, not 4" in wrong.errors["u"]


def test_compare_grid_is_synchronised_and_padded(runner):
    red = [np.full((90, 160, 3), (0, 0, 200), np.uint8)] * 12
    blue = [np.full((90, 160, 3), (200, 0, 0), np.uint8)] * 24
    write_video(runner.tmp / "a.mp4", red, fps=12)
    write_video(runner.tmp / "b.mp4", blue, fps=24)
    r = runner(
        [
            ("a", "load_video", {"path": "a.mp4"}),
            ("b", "load_video", {"path": "b.mp4"}),
            ("c", "compare", {"labels": ["red", "blue"], "filename": "cmp"}),
        ],
        [("a", "video", "c", "videos"), ("b", "video", "c", "videos")],
    )
    assert r.status == "ok", r.errors
    meta = probe(r.outputs["c"]["video"].path)
    assert (meta.width, meta.height) == (320, 90) and meta.frames == 24 and meta.fps == 24
    last = list(iter_frames(r.outputs["c"]["video"].path))[-1]
    assert (
        last[60, 80, 2] > 150 and last[60, 240, 0] > 150
    )  # red held its last frame; blue still there
    assert r.delivered["c"][0].name == "cmp.mp4"


def test_last_frame_and_prompt_style(runner):
    frames = [np.full((40, 60, 3), v, np.uint8) for v in (40, 120, 220)]
    write_video(runner.tmp / "v.mp4", frames)
    r = runner(
        [
            ("v", "load_video", {"path": "v.mp4"}),
            ("l", "last_frame", {}),
            ("look", "prompt", {"lighting": "golden hour", "style": "anamorphic"}),
            ("shot", "prompt", {"subject": "a fox", "action": "runs", "style": "pastel"}),
        ],
        [("v", "video", "l", "video"), ("look", "prompt", "shot", "style")],
    )
    img = cv2.imread(str(r.outputs["l"]["image"].path))
    assert abs(int(img.mean()) - 220) <= 6  # the last one, not 40 or 120
    doc = r.outputs["shot"]["prompt"].read_json()
    assert doc["text"] == "A fox runs. Golden hour. Pastel."
    shutil.rmtree(runner.tmp / "renders", ignore_errors=True)
