"""Bad input gives a clear node error (node, field, fix), never a traceback, and no file is harmed."""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np

from tests.media.helpers import texture, write_video

ROOT = Path(__file__).resolve().parents[2]


def cli_run(tmp: Path, nodes, links=()):
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "bad",
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
    }
    wf = tmp / "bad.json"
    wf.write_text(json.dumps(doc))
    env = dict(
        os.environ, REELGRAPH_CACHE_DIR=str(tmp / "cache"), REELGRAPH_LOG_DIR=str(tmp / "logs")
    )
    p = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", str(wf)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert "Traceback" not in p.stdout + p.stderr
    return p


def bomb_png(path: Path, w: int, h: int) -> None:
    """A tiny PNG whose header claims w x h."""
    ok, buf = cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))
    data = bytearray(buf.tobytes())
    ihdr = struct.pack(">II", w, h) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))


def test_missing_image(tmp_path):
    p = cli_run(tmp_path, [("img", "reference_image", {"path": "nowhere.png"})])
    assert p.returncode == 1
    assert (
        "node img (reference_image)" in p.stdout
        and "file not found" in p.stdout
        and "nowhere.png" in p.stdout
    )


def test_decompression_bomb_is_refused(tmp_path):
    bomb_png(tmp_path / "bomb.png", 100_000, 100_000)
    before = (tmp_path / "bomb.png").read_bytes()
    p = cli_run(tmp_path, [("img", "reference_image", {"path": "bomb.png"})])
    assert p.returncode == 1 and "decompression bomb" in p.stdout
    assert (tmp_path / "bomb.png").read_bytes() == before


def test_truncated_and_garbage_video(tmp_path):
    write_video(tmp_path / "ok.mp4", [texture(320, 240, seed=i) for i in range(48)])
    data = (tmp_path / "ok.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "junk.mp4").write_bytes(os.urandom(5000))
    for name in ("cut.mp4", "junk.mp4"):
        p = cli_run(tmp_path, [("v", "load_video", {"path": name})])
        assert p.returncode == 1, p.stdout
        assert "node v (load_video)" in p.stdout and name in p.stdout
        assert "truncated" in p.stdout or "damaged" in p.stdout or "cannot read" in p.stdout


def test_audio_file_without_audio(tmp_path):
    write_video(tmp_path / "silent.mp4", [texture(64, 48)] * 5)
    p = cli_run(tmp_path, [("a", "load_audio", {"path": "silent.mp4"})])
    assert p.returncode == 1
    assert "node a (load_audio)" in p.stdout and "has no audio stream" in p.stdout


def test_motion_brush_mask_of_the_wrong_size_names_the_region(tmp_path):
    from app.media.masks import encode_mask

    cv2.imwrite(str(tmp_path / "s.png"), texture(200, 100))
    regions = [
        {
            "name": "river",
            "mask": encode_mask(np.ones((50, 50), np.uint8)),
            "trajectory": [[1, 1], [20, 20]],
        }
    ]
    p = cli_run(
        tmp_path,
        [
            ("img", "reference_image", {"path": "s.png"}),
            ("mb", "motion_brush", {"regions": regions}),
        ],
        [("img", "image", "mb", "image")],
    )
    assert p.returncode == 1
    assert (
        "node mb (motion_brush)" in p.stdout
        and "region 1 'river'" in p.stdout
        and "50x50" in p.stdout
    )
    regions[0]["mask"] = encode_mask(np.ones((100, 200), np.uint8))
    regions[0]["trajectory"] = [[1, 1], [500, 20]]
    p = cli_run(
        tmp_path,
        [
            ("img", "reference_image", {"path": "s.png"}),
            ("mb", "motion_brush", {"regions": regions}),
        ],
        [("img", "image", "mb", "image")],
    )
    assert "trajectory point (500, 20) is outside the 200x100 image" in p.stdout


def test_generator_refuses_what_local_cannot_honour(tmp_path):
    cv2.imwrite(str(tmp_path / "s.png"), texture(64, 64))
    doc_nodes = [
        ("p", "prompt", {}),
        ("a", "reference_image", {"path": "s.png"}),
        ("b", "reference_image", {"path": "s.png"}),
        ("g", "generator", {"takes": 2, "selected_take": 3}),
    ]
    p = cli_run(
        tmp_path,
        doc_nodes,
        [
            ("p", "prompt", "g", "prompt"),
            ("a", "image", "g", "image"),
            ("b", "image", "g", "end_image"),
        ],
    )
    assert p.returncode == 2  # refused before running
    assert (
        "node g (generator): input 'end_image': Local engine still-motion cannot take an end frame; no Local "
        "engine model can (backends that can: kling, runway, luma, veo)"
    ) in p.stderr
    assert "node g (generator): param 'selected_take'" in p.stderr
