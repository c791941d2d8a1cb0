"""Every export format, read back: codec, size, rate, frames, audio, embedded workflow; OTIO."""

import json
import shutil
import subprocess

import numpy as np
import opentimelineio as otio
import pytest

from app.media.encode import read_embedded_workflow
from app.media.video import iter_frames, probe
from tests.media.helpers import MEDIA, texture, write_video

FRAMES = 18
EXPECT = {
    "mp4": ("h264", "aac"),
    "mov": ("prores", "pcm_s16le"),
    "webm": ("vp9", "opus"),
    "gif": ("gif", None),
}


@pytest.fixture
def clip(runner):
    frames = [np.roll(texture(320, 240, seed=2), 4 * i, axis=1) for i in range(FRAMES)]
    t = np.arange(int(FRAMES / 24 * 48000)) / 48000
    write_video(
        runner.tmp / "in.mp4", frames, fps=24, audio=0.3 * np.sin(2 * np.pi * 440 * t), rate=48000
    )
    return runner.tmp / "in.mp4"


def ffprobe(path):
    if not shutil.which("ffprobe"):
        pytest.skip("ffprobe is not installed (apt-get install ffmpeg)")
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("fmt", ["mp4", "mov", "webm", "gif"])
def test_video_formats_read_back(runner, clip, fmt):
    r = runner(
        [
            ("v", "load_video", {"path": "in.mp4"}),
            ("e", "export", {"format": fmt, "filename": f"out/shot_{fmt}"}),
        ],
        [("v", "video", "e", "video")],
    )
    assert r.status == "ok", r.errors
    [path] = r.delivered["e"]
    assert path == runner.tmp / "renders" / "out" / f"shot_{fmt}.{fmt}"
    info = ffprobe(path)
    streams = {s["codec_type"]: s for s in info["streams"]}
    vcodec, acodec = EXPECT[fmt]
    assert streams["video"]["codec_name"] == vcodec
    assert (streams["video"]["width"], streams["video"]["height"]) == (320, 240)
    meta = probe(path)
    assert (
        meta.frames == FRAMES and abs(meta.fps - 24) < 1e-6
    )  # GIF: whole-centisecond delays averaging 24 fps
    if acodec:
        assert streams["audio"]["codec_name"] == acodec
        duration = float(streams["audio"].get("duration") or info["format"]["duration"])
        assert abs(duration - FRAMES / 24) < 0.05
        assert read_embedded_workflow(path) == runner.last_doc
    if fmt == "mov":
        assert streams["video"]["profile"] == "HQ"
    # the picture survived: the first frame is close to the source's
    src0 = next(iter_frames(clip)).astype(int)
    out0 = next(iter_frames(path)).astype(int)
    assert np.abs(src0 - out0).mean() < (12 if fmt == "gif" else 4)


def test_png_sequence_and_lossless_chain(runner):
    shutil.copy(MEDIA / "coffee.png", runner.tmp / "c.png")
    r = runner(
        [
            ("p", "prompt", {}),
            ("i", "reference_image", {"path": "c.png"}),
            ("g", "generator", {"duration": 0.5, "fps": 12, "width": 600, "height": 400}),
            ("e", "export", {"format": "png", "filename": "frames"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
    )
    assert r.status == "ok", r.errors
    [folder] = r.delivered["e"]
    assert folder == runner.tmp / "renders" / "frames"
    files = sorted(folder.iterdir())
    assert len(files) == 6 and files[0].name == "frame_00001.png"
    from app.media.images import load_image, png_text

    assert json.loads(png_text(files[0])["reelgraph_workflow"]) == runner.last_doc
    assert read_embedded_workflow(files[0]) == runner.last_doc
    # static camera at the source size: the PNG frames are the still, bit for bit
    src = load_image(runner.tmp / "c.png")
    for f in files:
        assert np.array_equal(load_image(f), src)


def test_png_sequence_versions_as_one_folder(runner, clip):
    nodes = [
        ("v", "load_video", {"path": "in.mp4"}),
        ("e", "export", {"format": "png", "filename": "seq"}),
    ]
    links = [("v", "video", "e", "video")]
    first = runner(nodes, links).delivered["e"][0]
    again = runner(nodes, links).delivered["e"][0]
    assert again == first  # identical frames: the folder is reused, not copied again
    (runner.tmp / "in.mp4").rename(runner.tmp / "old.mp4")
    frames = [np.roll(texture(320, 240, seed=5), 2 * i, axis=0) for i in range(FRAMES - 4)]
    write_video(runner.tmp / "in.mp4", frames, fps=24)
    second = runner(nodes, links).delivered["e"][0]
    assert (first.name, second.name) == ("seq", "seq_v002")
    # the first render is untouched: same frame count, no frame of the second mixed in
    assert len(list(first.iterdir())) == FRAMES and len(list(second.iterdir())) == FRAMES - 4


def test_versions_never_overwrite(runner, clip):
    nodes = [
        ("v", "load_video", {"path": "in.mp4"}),
        ("e", "export", {"format": "mp4", "filename": "shot", "crf": 30}),
    ]
    first = runner(nodes, [("v", "video", "e", "video")]).delivered["e"][0]
    nodes[1] = ("e", "export", {"format": "mp4", "filename": "shot", "crf": 20})
    second = runner(nodes, [("v", "video", "e", "video")]).delivered["e"][0]
    assert first.name == "shot.mp4" and second.name == "shot_v002.mp4"
    assert first.read_bytes() != second.read_bytes()


def test_otio_timeline_of_everything_exported(runner, clip):
    r = runner(
        [
            ("v", "load_video", {"path": "in.mp4"}),
            ("a", "export", {"format": "mp4", "filename": "a", "timeline": True}),
            ("b", "export", {"format": "mov", "filename": "b"}),
        ],
        [("v", "video", "a", "video"), ("v", "video", "b", "video")],
        name="my seq",
    )
    assert r.status == "ok"
    names = sorted(p.name for p in r.run_files)
    assert names == ["my_seq.edl", "my_seq.otio", "my_seq.xml"]
    tl = otio.adapters.read_from_file(str(runner.tmp / "renders" / "my_seq.otio"))
    clips = list(tl.find_clips())
    assert [c.name for c in clips] == ["a", "b"]
    assert all(
        c.source_range.duration.to_frames() == FRAMES and c.source_range.duration.rate == 24
        for c in clips
    )
    assert clips[0].media_reference.target_url.endswith("/renders/a.mp4")
    xml = otio.adapters.read_from_file(str(runner.tmp / "renders" / "my_seq.xml"))
    assert len(list(xml.find_clips())) == 2
    edl = (runner.tmp / "renders" / "my_seq.edl").read_text()
    assert "a.mp4" in edl or "A.MP4" in edl.upper()
