"""Issue 15's engine side: framing the still, takes that differ and say their own seed, bypass
and mute, a stray node that feeds nothing, and export with sound."""

import numpy as np
import pytest

from app.core.workflow import Workflow
from app.media.camera import CameraPath, Framing
from app.media.images import write_png
from app.media.render import camera_renderer, framed_still
from app.media.video import probe, read_frame

SHOT = {"duration": 0.5, "fps": 12, "width": 320, "height": 180}


def quadrants(w: int = 400, h: int = 400) -> np.ndarray:
    """A square still whose four quarters are pure colours, top-left red... so a crop shows where it is."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2, : w // 2] = (0, 0, 255)  # red (BGR)
    img[: h // 2, w // 2 :] = (0, 255, 0)  # green
    img[h // 2 :, : w // 2] = (255, 0, 0)  # blue
    img[h // 2 :, w // 2 :] = (255, 255, 255)  # white
    return img


def test_a_square_still_fills_a_wide_frame_around_its_focus_point():
    src = quadrants()
    centred = camera_renderer(src, CameraPath(), (320, 180), 1)(0)
    # default: the middle band of the square; the frame's top half is red|green
    assert tuple(centred[5, 5]) == (0, 0, 255) and tuple(centred[-5, -5]) == (255, 255, 255)
    red = lambda img: (img[:, 5] == (0, 0, 255)).all(axis=1).mean()  # noqa: E731 - red share of the left edge
    assert red(centred) == pytest.approx(0.5, abs=0.03)
    top = camera_renderer(src, CameraPath(framing=Framing(y=0.0)), (320, 180), 1)(0)
    assert red(top) == pytest.approx(
        200 / 225, abs=0.03
    )  # framed on the top edge: mostly the top half
    fit = camera_renderer(src, CameraPath(framing=Framing(fit="fit")), (320, 180), 1)(0)
    assert fit[90, 5].max() == 0 and tuple(fit[5, 100]) == (0, 0, 255)  # black bars left and right
    close = camera_renderer(
        src, CameraPath(framing=Framing(scale=2.0, x=1.0, y=1.0)), (320, 180), 1
    )(0)
    assert (close == (255, 255, 255)).all(
        axis=2
    ).mean() > 0.99  # twice as close on the white corner


def test_the_frame_rect_is_the_area_rendered():
    x, y, w, h = Framing(y=0.0).rect((320, 180), (400, 400))
    assert (round(x), round(y), round(w), round(h)) == (0, 0, 400, 225)


def test_cloud_models_get_the_still_as_framed_at_their_aspect():
    img = framed_still(quadrants(), Framing(y=0.0), 16 / 9)
    assert img.shape[:2] == (
        720,
        1280,
    )  # a small still is sent at least 720 px high (models make 720p)
    assert (img[:, :640] == (0, 0, 255)).all(axis=2).mean() == pytest.approx(200 / 225, abs=0.02)
    big = framed_still(np.zeros((3000, 3000, 3), np.uint8), Framing(fit="fit", scale=0.25), 16 / 9)
    assert max(big.shape[:2]) <= 4096  # never the huge padded frame a tiny fit scale would ask for
    tiny_band = framed_still(quadrants(), Framing(fit="fit", scale=0.25), 4320 / 16)
    assert tiny_band.size < 50_000_000


def test_framing_reaches_the_local_render_and_leaves_old_cache_keys_alone(runner):
    write_png(runner.tmp / "q.png", quadrants())
    nodes = [
        ("p", "prompt", {}),
        ("i", "reference_image", {"path": "q.png"}),
        ("g", "generator", dict(SHOT)),
    ]
    links = [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image")]
    plain = runner(nodes, links)
    assert plain.status == "ok"
    key = plain.keys["g"]
    nodes[2] = ("g", "generator", dict(SHOT, frame_y=0.0))
    top = runner(nodes, links)
    assert top.keys["g"] != key
    frame = read_frame(top.outputs["g"]["video"].path, 0).astype(int)
    reds = (np.abs(frame[:, 4] - (0, 0, 255)).max(axis=1) < 40).mean()
    assert reds == pytest.approx(200 / 225, abs=0.05)  # the top of the still, as framed
    nodes[2] = (
        "g",
        "generator",
        dict(SHOT, frame_y=0.5),
    )  # back to the default: the old result, not a new one
    assert runner(nodes, links).states["g"] == "cached"


def test_local_takes_differ_with_the_seed_and_each_says_its_own(runner):
    write_png(runner.tmp / "q.png", quadrants())
    nodes = [
        ("p", "prompt", {}),
        ("i", "reference_image", {"path": "q.png"}),
        ("c", "camera_path", {"preset": "zoom_in"}),
        ("g", "generator", dict(SHOT, takes=3, seed=4)),
    ]
    links = [
        ("p", "prompt", "g", "prompt"),
        ("i", "image", "g", "image"),
        ("c", "camera", "g", "camera"),
    ]
    r = runner(nodes, links)
    assert r.status == "ok", r.errors
    metas = r.outputs["g"]["takes"].meta["takes_meta"]
    assert [m["seed"] for m in metas] == [4, 5, 6]
    assert all(isinstance(m["took_s"], float) for m in metas)
    folder = r.outputs["g"]["takes"].path.parent
    last = [
        read_frame(folder / name, -1).astype(int)
        for name in r.outputs["g"]["takes"].meta["takes_files"]
    ]
    assert np.abs(last[0] - last[1]).mean() > 2 and np.abs(last[1] - last[2]).mean() > 2


def test_an_unconnected_empty_node_is_skipped_not_a_failure(runner):
    write_png(runner.tmp / "q.png", quadrants())
    r = runner(
        [
            ("p", "prompt", {}),
            ("i", "reference_image", {"path": "q.png"}),
            ("g", "generator", dict(SHOT)),
            ("e", "export", {"filename": "out"}),
            ("stray", "load_audio", {}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
    )
    assert r.status == "ok", r.errors
    assert r.states["stray"] == "idle" and "stray" not in r.errors
    assert (runner.tmp / "renders" / "out.mp4").is_file()


def test_bypass_passes_the_input_through_and_mute_stops_what_needs_it(runner):
    write_png(runner.tmp / "q.png", quadrants())
    nodes = [
        ("p", "prompt", {}),
        ("i", "reference_image", {"path": "q.png"}),
        ("g", "generator", dict(SHOT)),
        ("u", "upscale", {"factor": 2}),
        ("e", "export", {"filename": "out"}),
    ]
    links = [
        ("p", "prompt", "g", "prompt"),
        ("i", "image", "g", "image"),
        ("g", "video", "u", "media"),
        ("u", "media", "e", "video"),
    ]
    doc = {
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
    }
    doc["nodes"][3]["mode"] = "bypass"
    wf = Workflow.model_validate(doc)
    assert (
        wf.to_json_dict()["nodes"][3]["mode"] == "bypass"
        and "mode" not in wf.to_json_dict()["nodes"][0]
    )
    r = runner.ex.run(wf, base_dir=runner.tmp, out_dir=runner.tmp / "renders")
    assert r.status == "ok", r.errors
    assert r.states["u"] == "idle" and "u" not in r.executed
    assert (
        probe(runner.tmp / "renders" / "out.mp4").width == 320
    )  # the generator's video, not upscaled
    doc["nodes"][3]["mode"] = (
        "mute"  # the export needs it: nothing is left to make, and the refusal says why
    )
    from app.core.errors import WorkflowError

    with pytest.raises(WorkflowError, match="comes from u, which is muted"):
        runner.ex.run(
            Workflow.model_validate(doc), base_dir=runner.tmp, out_dir=runner.tmp / "renders"
        )


def test_export_muxes_a_separate_sound_to_the_videos_length(runner):
    import shutil

    from app.core.errors import WorkflowError
    from tests.conftest import ROOT

    write_png(runner.tmp / "q.png", quadrants())
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    nodes = [
        ("p", "prompt", {}),
        ("i", "reference_image", {"path": "q.png"}),
        ("g", "generator", dict(SHOT)),
        ("a", "load_audio", {"path": "speech.wav"}),
        ("e", "export", {"filename": "talk"}),
    ]
    links = [
        ("p", "prompt", "g", "prompt"),
        ("i", "image", "g", "image"),
        ("g", "video", "e", "video"),
        ("a", "audio", "e", "audio"),
    ]
    r = runner(nodes, links)
    assert r.status == "ok", r.errors
    meta = probe(runner.tmp / "renders" / "talk.mp4")
    assert meta.has_audio and meta.duration == pytest.approx(0.5, abs=0.05)
    nodes[4] = ("e", "export", {"filename": "talk", "format": "gif"})
    with pytest.raises(WorkflowError, match="gif carries no sound"):
        runner(nodes, links)


def test_webm_export_takes_sound_at_any_rate(runner):
    """Opus takes 48/24/16/12/8 kHz only: the shipped 22.05 kHz speech (and 44.1 kHz music) is resampled."""
    import shutil

    from tests.conftest import ROOT

    write_png(runner.tmp / "q.png", quadrants())
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    r = runner(
        [
            ("p", "prompt", {}),
            ("i", "reference_image", {"path": "q.png"}),
            ("g", "generator", dict(SHOT)),
            ("a", "load_audio", {"path": "speech.wav"}),
            ("e", "export", {"filename": "talk", "format": "webm"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
            ("a", "audio", "e", "audio"),
        ],
    )
    assert r.status == "ok", r.errors
    meta = probe(runner.tmp / "renders" / "talk.webm")
    assert meta.has_audio and meta.audio_rate == 48000


def test_switching_off_what_feeds_every_export_says_so_by_name(runner):
    from app.core.errors import WorkflowError

    write_png(runner.tmp / "q.png", quadrants())
    doc = {
        "nodes": [
            {"id": "p", "type": "prompt", "params": {}},
            {"id": "g", "type": "generator", "params": dict(SHOT), "mode": "bypass"},
            {"id": "e", "type": "export", "params": {"filename": "x"}},
            {"id": "stray", "type": "upscale", "params": {}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["g", "video"], "to": ["e", "video"]},
        ],
    }
    with pytest.raises(WorkflowError) as err:
        runner.ex.run(
            Workflow.model_validate(doc), base_dir=runner.tmp, out_dir=runner.tmp / "renders"
        )
    [problem] = err.value.problems
    assert (
        problem.node == "e"
        and "nothing to make" in problem.message
        and "bypassed" in problem.message
    )


def test_validate_checks_what_a_run_would_make(tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    write_png(tmp_path / "q.png", quadrants())
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "t",
        "nodes": [
            {"id": "p", "type": "prompt", "params": {}},
            {"id": "i", "type": "reference_image", "params": {"path": "q.png"}},
            {"id": "g", "type": "generator", "params": dict(SHOT)},
            {"id": "e", "type": "export", "params": {"filename": "x"}},
            {"id": "stray", "type": "upscale", "params": {}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["i", "image"], "to": ["g", "image"]},
            {"from": ["g", "video"], "to": ["e", "video"]},
        ],
    }
    (tmp_path / "w.json").write_text(json.dumps(doc))
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "validate", str(tmp_path / "w.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_takes_of_a_path_keyed_at_its_limits_stay_within_them(runner):
    write_png(runner.tmp / "q.png", quadrants())
    keys = [
        {"t": 0.0, "pan": 90, "roll": 180, "zoom": 10, "truck": 1.0},
        {"t": 1.0, "pan": -90, "dolly": 0.9},
    ]
    r = runner(
        [
            ("p", "prompt", {}),
            ("i", "reference_image", {"path": "q.png"}),
            ("c", "camera_path", {"preset": "custom", "keyframes": keys}),
            ("g", "generator", dict(SHOT, takes=3, seed=7)),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("c", "camera", "g", "camera"),
        ],
    )
    assert r.status == "ok", r.errors


def test_a_thousand_bypassed_nodes_in_a_chain_pass_through():
    from app.core.modes import effective
    from app.core.registry import discover

    nodes = [{"id": "p", "type": "prompt", "params": {}}]
    nodes += [
        {"id": f"r{i}", "type": "upscale", "params": {}, "mode": "bypass"} for i in range(1000)
    ]
    links = [
        {"from": ["r0" if i == 0 else f"r{i - 1}", "media"], "to": [f"r{i}", "media"]}
        for i in range(1, 1000)
    ]
    nodes.append({"id": "e", "type": "export", "params": {}})
    links.append({"from": ["r999", "media"], "to": ["e", "video"]})
    wf, reasons = effective(
        Workflow.model_validate({"nodes": nodes, "links": links}), discover("nodes")
    )
    assert (
        len(reasons) >= 1000 and "e" in reasons
    )  # nothing feeds r0: the export has nothing to show
