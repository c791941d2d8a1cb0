"""Shared workflows and renders are untrusted input. One test per item of the hardening review,
each through the real CLI (or the real editor, offscreen) with the exact repro: a clear message,
the right exit code (2 refused before running, 1 a node failed), no traceback, bounded time
(every subprocess has a timeout), bounded memory for the bombs (peak RSS of the CLI process),
and nothing written outside the output folder."""

from __future__ import annotations

import base64
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from app.core.limits import LIMITS, limit
from tests.ui.conftest import ROOT

MEDIA = ROOT / "resources" / "media"
PEAKS: dict[
    str, dict
] = {}  # bomb -> {peak_mb, seconds}: printed at the end of the module for the note


def env_for(tmp: Path, **extra) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("REELGRAPH_")}
    e.update(
        REELGRAPH_CONFIG_DIR=str(tmp / "config"),
        REELGRAPH_CACHE_DIR=str(tmp / "cache"),
        REELGRAPH_LOG_DIR=str(tmp / "logs"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return e


def cli(
    tmp: Path, *args: str, timeout: float = 120, preexec=None, **env
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env_for(tmp, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
    )


def measured(
    tmp: Path, name: str, *args: str, timeout: float = 180
) -> tuple[subprocess.CompletedProcess, dict]:
    """The CLI run through tests.peakrun: its peak memory and time to the error."""
    report = tmp / f"{name}.peak.json"
    out = subprocess.run(
        [sys.executable, "-m", "tests.peakrun", str(report), *args],
        cwd=ROOT,
        env=env_for(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    figures = json.loads(report.read_text())
    PEAKS[name] = figures
    return out, figures


def workflow(tmp: Path, nodes: list, links: list, name: str = "w") -> Path:
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": name,
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
    }
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def clean(out: subprocess.CompletedProcess) -> str:
    text = out.stdout + out.stderr
    assert "Traceback" not in text, text[-2000:]
    return text


def png_stream(path: Path, width: int, height: int, *, bit_depth: int = 8, colour: int = 2) -> Path:
    """A valid PNG of any size written row by row (all zeros), never holding the picture."""
    channels = {0: 1, 2: 3}[colour]
    row = bytes(1 + (width * channels * bit_depth + 7) // 8)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    comp = zlib.compressobj(9)
    with open(path, "wb") as fh:
        fh.write(
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0))
        )
        data = b""
        for _ in range(height):
            data += comp.compress(row)
            if len(data) > 1 << 20:
                fh.write(chunk(b"IDAT", data))
                data = b""
        fh.write(chunk(b"IDAT", data + comp.flush()) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    if PEAKS:
        sys.stderr.write("\nhardening figures (peak MB, seconds to the error):\n")
        for name, f in PEAKS.items():
            sys.stderr.write(
                f"  {name:<28} {f['peak_mb']:8.0f} MB  {f['seconds']:6.2f} s  exit {f['code']}\n"
            )


# -- 1. a param naming /dev/zero or a FIFO: no hang, in the CLI or the editor -------------------------------


@pytest.mark.parametrize("kind", ["devzero", "fifo"])
def test_1_device_or_fifo_as_a_file_param_is_refused_at_once(tmp_path, kind):
    target = Path("/dev/zero") if kind == "devzero" else tmp_path / "pipe"
    if kind == "fifo":
        os.mkfifo(target)
    wf = workflow(
        tmp_path,
        [
            ("i", "reference_image", {"path": str(target)}),
            ("a", "load_audio", {"path": str(target)}),
        ],
        [],
    )
    t0 = time.monotonic()
    out = cli(tmp_path, "run", str(wf), timeout=60)
    text = clean(out)
    assert out.returncode == 1 and time.monotonic() - t0 < 30
    assert f"{target} is a device, pipe or socket, not a file" in text


def test_1_sigterm_stops_a_run(tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("g", "generator", {"duration": 60, "width": 1920, "height": 1080, "takes": 4}),
            ("e", "export", {"filename": "long"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
    )
    p = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(wf)],
        cwd=ROOT,
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=30)
    assert p.returncode == 130 and time.monotonic() - t0 < 15


def test_1_editor_stays_responsive_on_a_workflow_naming_a_fifo(tmp_path, win, qtbot):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    wf = workflow(tmp_path, [("i", "reference_image", {"path": str(fifo)})], [])
    ticks = []
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    t0 = time.monotonic()
    assert win.open_path(wf)
    qtbot.wait(800)
    timer.stop()
    assert time.monotonic() - t0 < 5
    gaps = np.diff([t0, *ticks])
    assert len(ticks) > 10 and gaps.max() < 0.5  # the event loop never stalled
    win.run_all()
    qtbot.waitUntil(lambda: "pipe" in win.log.toPlainText(), timeout=20_000)
    assert f"{fifo} is a device, pipe or socket, not a file" in win.log.toPlainText()


# -- 2. a write failure while the video writer flushes: no deadlock --------------------------------------------


def test_2_video_writer_reports_a_failing_final_flush(tmp_path):
    from app.media.video import VideoWriter

    w = VideoWriter(tmp_path / "x.mkv", 64, 64, 24)
    for _ in range(5):
        w.write(np.zeros((64, 64, 3), np.uint8))

    class FullDisk:  # the disk fills up while the encoder flushes its last packets
        def __init__(self, real):
            self.real = real

        def mux(self, packet):
            if w._q.empty():
                raise OSError(28, "No space left on device")
            return self.real.mux(packet)

        def __getattr__(self, name):
            return getattr(self.real, name)

    w.container = FullDisk(w.container)
    import threading

    errors = []
    t = threading.Thread(target=lambda: errors.append(_close(w)), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "VideoWriter.close() deadlocked"
    assert errors and isinstance(errors[0], OSError)


def _close(w):
    try:
        w.close()
    except BaseException as e:  # noqa: BLE001
        return e
    return None


def _fsize_limit(nbytes: int):
    def apply():
        signal.signal(
            signal.SIGXFSZ, signal.SIG_IGN
        )  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))

    return apply


def test_2_a_full_disk_during_export_is_a_node_error_not_a_hang(tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("c", "camera_path", {"preset": "zoom_in"}),
            ("g", "generator", {"duration": 3, "width": 1280, "height": 720}),
            ("e", "export", {"filename": "full", "crf": 0, "preset": "ultrafast"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("c", "camera", "g", "camera"),
            ("g", "video", "e", "video"),
        ],
    )
    out = cli(tmp_path, "run", str(wf), timeout=120, preexec=_fsize_limit(1_000_000))
    text = clean(out)
    assert out.returncode == 1 and "node e (export)" in text and "File too large" in text
    assert (
        not list((tmp_path / "renders").glob("*.part")) if (tmp_path / "renders").exists() else True
    )


# -- 3. small inputs, unbounded memory -------------------------------------------------------------------------


def test_3_mask_bomb(tmp_path):
    png = png_stream(tmp_path / "bomb.png", 30000, 30000, bit_depth=1, colour=0)
    mask = base64.b64encode(png.read_bytes()).decode()
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("i", "reference_image", {"path": "coffee.png"}),
            ("m", "motion_brush", {"static_mask": mask}),
        ],
        [("i", "image", "m", "image")],
    )
    assert wf.stat().st_size < 300_000
    out, f = measured(tmp_path, "mask 30000x30000", "run", str(wf))
    text = clean(out)
    assert out.returncode in (1, 2) and "30000x30000" in text and "limit is 8K" in text
    assert f["peak_mb"] < 600


def test_3_upscale_bomb(tmp_path):
    png_stream(tmp_path / "big.png", 9000, 9000)
    wf = workflow(
        tmp_path,
        [("i", "reference_image", {"path": "big.png"}), ("u", "upscale", {"factor": 4})],
        [("i", "image", "u", "media")],
    )
    out, f = measured(tmp_path, "upscale 9000x9000 x4", "run", str(wf))
    text = clean(out)
    assert out.returncode == 1 and "36000x36000, over the 100 MP limit" in text
    assert f["peak_mb"] < 1500


def test_3_huge_video_frame(tmp_path):
    import av

    path = (
        tmp_path / "huge.mov"
    )  # (the review used MKV; this build's FFmpeg has no encoder for that here)
    with av.open(str(path), "w") as c:
        s = c.add_stream("png", rate=1)
        s.width, s.height, s.pix_fmt = 16000, 16000, "gray"
        for pkt in s.encode(
            av.VideoFrame.from_ndarray(np.zeros((16000, 16000), np.uint8), format="gray")
        ):
            c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    wf = workflow(tmp_path, [("v", "load_video", {"path": str(path)})], [])
    out, f = measured(tmp_path, "video frame 16000x16000", "run", str(wf))
    text = clean(out)
    assert out.returncode == 1 and "16000x16000 frames; the limit is 8K" in text
    assert f["peak_mb"] < 500


@pytest.fixture(scope="module")
def ten_hours(tmp_path_factory):
    import av

    path = tmp_path_factory.mktemp("audio") / "silence.flac"
    with av.open(str(path), "w") as c:
        s = c.add_stream("flac", rate=8000)
        s.layout = "mono"
        block = 8000 * 60
        zeros = np.zeros((1, block), np.int16)
        for i in range(600):
            frame = av.AudioFrame.from_ndarray(zeros, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 8000, i * block
            for pkt in s.encode(frame):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    return path


def test_3_ten_hour_audio(tmp_path, ten_hours):
    assert ten_hours.stat().st_size < 8_000_000
    wf = workflow(tmp_path, [("a", "load_audio", {"path": str(ten_hours)})], [])
    out, f = measured(tmp_path, "10 h FLAC", "run", str(wf))
    text = clean(out)
    assert out.returncode == 1 and "longer than 30 min, the limit" in text
    assert f["peak_mb"] < 500 and f["seconds"] < 30


def test_3_maximum_params_are_refused_before_the_run(tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            (
                "g",
                "generator",
                {"width": 7680, "height": 4320, "fps": 120, "duration": 60, "takes": 16},
            ),
        ],
        [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image")],
    )
    out, f = measured(tmp_path, "8K 120 fps 60 s 16 takes", "run", str(wf))
    text = clean(out)
    assert out.returncode == 2 and "billion pixels to render" in text and "param 'takes'" in text
    assert f["seconds"] < 10 and f["peak_mb"] < 400


# -- 4. a `ui` section nested hundreds deep --------------------------------------------------------------------


def test_4_deeply_nested_ui(tmp_path, win):
    doc = json.loads(workflow(tmp_path, [("p", "prompt", {"subject": "x"})], []).read_text())
    d = doc["ui"] = {}
    for _ in range(300):
        d["a"] = {}
        d = d["a"]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(doc))
    for cmd in ("validate", "run"):
        out = cli(tmp_path, cmd, str(path))
        text = clean(out)
        assert out.returncode == 2 and f"nested more than {limit('json_depth')} levels deep" in text
    assert not win.open_path(path)
    assert "nested more than" in win.status_label.text()


# -- 5. publishing errors --------------------------------------------------------------------------------------


def test_5_publishing_a_cached_output_to_a_full_disk_leaves_no_part_files(tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("g", "generator", {"duration": 1, "fps": 12, "width": 640, "height": 360}),
            ("e", "export", {"format": "png", "filename": "seq"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
    )
    assert cli(tmp_path, "run", str(wf)).returncode == 0  # everything cached
    shutil.rmtree(tmp_path / "renders")
    out = cli(tmp_path, "run", str(wf), preexec=_fsize_limit(50_000))
    text = clean(out)
    assert out.returncode == 1 and "cannot write seq" in text and "free disk space" in text
    left = [p.name for p in (tmp_path / "renders").rglob("*")]
    assert not [n for n in left if n.endswith(".part") or ".part" in n], left


def test_5_out_pointing_at_a_file(tmp_path):
    wf = workflow(tmp_path, [("p", "prompt", {"subject": "x"})], [])
    (tmp_path / "afile").write_text("x")
    out = cli(tmp_path, "run", str(wf), "--out", str(tmp_path / "afile"))
    assert out.returncode == 2 and "that is a file; name a folder" in clean(out)


@pytest.mark.parametrize(
    "name,said",
    [
        ("a" * 300, "is 304 bytes; the limit is 200"),
        ("b" * 300 + "/shot", "is 300 bytes; the limit is 200"),
        ("   ", "would be a hidden file"),
        ("D:/evil", "no drive"),  # 6. a Windows drive path, refused on every OS
        ("C:evil", "no drive"),
        ("..\\..\\evil", "'..' parts"),
        ("con", "reserved name on Windows"),
    ],
)
def test_5_6_16_bad_output_names_are_refused_before_running(tmp_path, name, said):
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("g", "generator", {"duration": 1}),
            ("e", "export", {"filename": name}),
        ],
        [("p", "prompt", "g", "prompt"), ("g", "video", "e", "video")],
    )
    out = cli(tmp_path, "run", str(wf), "--out", str(tmp_path / "out"))
    text = clean(out)
    assert out.returncode == 2 and "param 'filename'" in text and said in text
    assert not (tmp_path / "out").exists() and not list(tmp_path.parent.glob("evil*"))


# -- 7. a link inside the output folder ------------------------------------------------------------------------


def test_7_a_symlinked_folder_in_the_output_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "lnk").symlink_to(outside)
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("g", "generator", {"duration": 1, "fps": 6, "width": 64, "height": 64}),
            ("e", "export", {"filename": "lnk/evil"}),
        ],
        [("p", "prompt", "g", "prompt"), ("g", "video", "e", "video")],
    )
    out = cli(tmp_path, "run", str(wf), "--out", str(out_dir))
    text = clean(out)
    assert out.returncode == 1 and "is a link; Reelgraph does not write through links" in text
    assert list(outside.iterdir()) == []


# -- 8. keys.json is 0600 from its creation --------------------------------------------------------------------


def test_8_secrets_file_is_never_readable_by_others(tmp_path, monkeypatch):
    from app.core import fileio

    seen = []
    real = os.fsync

    def fsync(fd):  # while the content is on disk and before the rename: the temp file's mode
        seen.append(os.fstat(fd).st_mode & 0o777)
        return real(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    fileio.atomic_write_bytes(tmp_path / "keys.json", b'{"k": "secret"}', mode=0o600)
    assert seen[0] == 0o600 and (tmp_path / "keys.json").stat().st_mode & 0o777 == 0o600
    monkeypatch.undo()
    p = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "set", "runway"],
        input="rw-key-123456\n",
        cwd=ROOT,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0
    assert (tmp_path / "config" / "keys.json").stat().st_mode & 0o777 == 0o600


# -- 11. node ids and paths go to the terminal escaped --------------------------------------------------------


def test_11_hostile_node_ids_on_a_terminal_and_in_plain_output(tmp_path):
    import pty

    evil = "p[/]x\x1b]0;pwned\x07\x1b[2J\nrun ok in 0.01 s\u202e"
    wf = workflow(tmp_path, [(evil, "prompt", {"subject": "x"})], [], name="evil")
    out = cli(tmp_path, "run", str(wf))
    text = clean(out)  # refused, and the refusal itself shows the id escaped
    assert (
        out.returncode == 2
        and "may not contain control, line-break or text-direction characters" in text
    )
    assert "\x1b" not in text and "\u202e" not in text and "\nrun ok" not in text
    wf = workflow(
        tmp_path,
        [("p[/]x", "prompt", {"subject": "x"}), ("q[bold]", "prompt", {"subject": "y"})],
        [],
    )
    master, slave = (
        pty.openpty()
    )  # the live display (rich) on a real terminal, with markup-like ids
    p = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(wf)],
        cwd=ROOT,
        env=env_for(tmp_path),
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(30)
    os.close(master)
    screen = b"".join(chunks).decode(errors="replace")
    assert p.returncode == 0, screen[-2000:]
    assert "Traceback" not in screen and "p[/]x" in screen and "q[bold]" in screen


def test_11_names_and_messages_with_line_breaks_are_escaped():
    from app.cli_progress import shown
    from app.core.publish import name_problem

    assert shown("a\nb\u202ec\x1b") == "a\\x0ab\\u202ec\\x1b"
    for bad in ("evil\u202emp4.exe", "a\x85b", "CON .mp4", "conin$", "COM\u00b9.mp4"):
        assert name_problem(bad) is not None, bad


# -- 12/13. model ids are checked; every backend that needs a key can be given one --------------------------------


def test_12_13_model_ids_and_keys_for_every_backend(tmp_path):
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("g", "generator", {"backend": "fal", "model": "x?y#z"}),
        ],
        [("p", "prompt", "g", "prompt")],
    )
    out = cli(tmp_path, "validate", str(wf), REELGRAPH_FAL_API_KEY="fal-key-1234")
    assert out.returncode == 2 and "'x?y#z' is not a valid fal model id" in clean(out)
    p = subprocess.run(
        [sys.executable, "-m", "app.cli", "keys", "set", "sync"],
        input="sk-sync-123456\n",
        cwd=ROOT,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    listed = cli(tmp_path, "keys", "list").stdout
    assert "sync       set (file)" in listed and "comfyui" not in listed  # comfyui needs no key


# -- 14. --dry-run is not quadratic ----------------------------------------------------------------------------


def test_14_dry_run_of_ten_thousand_nodes(tmp_path):
    nodes = [(f"p{i}", "prompt", {"subject": f"shot {i}"}) for i in range(5000)]
    nodes += [(f"g{i}", "generator", {"duration": 1}) for i in range(5000)]
    links = [(f"p{i}", "prompt", f"g{i}", "prompt") for i in range(5000)]
    wf = workflow(tmp_path, nodes, links)
    t0 = time.monotonic()
    out = cli(tmp_path, "run", str(wf), "--dry-run", timeout=120)
    PEAKS["dry-run 10k nodes"] = {
        "peak_mb": 0,
        "seconds": time.monotonic() - t0,
        "code": out.returncode,
    }
    assert out.returncode == 0 and "total estimate: $0.00 (10000 node(s) would run" in clean(out)


# -- 15. a render whose embedded workflow is over 1 MB opens again ----------------------------------------------


def test_15_png_sequence_with_a_big_embedded_workflow_reopens(tmp_path, win):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    big = (
        "a quiet cafe, " * 100_000
    )  # 1.4 MB of prompt: the embedded workflow is over Pillow's 1 MB
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x", "environment": big}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("g", "generator", {"duration": 0.5, "fps": 4, "width": 64, "height": 64}),
            ("e", "export", {"format": "png", "filename": "seq"}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
    )
    out = cli(tmp_path, "run", str(wf))
    assert out.returncode == 0, clean(out)
    first = sorted((tmp_path / "renders" / "seq").glob("*.png"))[0]
    assert win.open_path(first)
    assert win.doc.wf.node("p").params["environment"] == big


# -- 16. a 95 MP still is within the stated 100 MP limit -------------------------------------------------------


def test_16_a_95_megapixel_still_is_read(tmp_path):
    from app.media.images import image_size

    path = png_stream(tmp_path / "95mp.png", 12000, 7917, bit_depth=1, colour=0)  # 95.0 MP
    assert image_size(path) == (12000, 7917)
    path = png_stream(tmp_path / "150mp.png", 15000, 10000, bit_depth=1, colour=0)
    wf = workflow(tmp_path, [("i", "reference_image", {"path": str(path)})], [])
    out = cli(tmp_path, "run", str(wf))
    assert out.returncode == 1 and "15000x10000 (150 MP); the limit is 100 MP" in clean(out)


# -- 17. a timeline at 12 fps: every format that can be written is, the EDL says why not -------------------------


def test_17_timeline_at_12_fps(tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("g", "generator", {"duration": 1, "fps": 12, "width": 160, "height": 90}),
            ("e", "export", {"filename": "cut", "timeline": True}),
        ],
        [
            ("p", "prompt", "g", "prompt"),
            ("i", "image", "g", "image"),
            ("g", "video", "e", "video"),
        ],
        name="twelve",
    )
    out = cli(tmp_path, "run", str(wf))
    text = clean(out)
    assert out.returncode == 0
    names = {p.name for p in (tmp_path / "renders").iterdir()}
    assert (
        {"cut.mp4", "twelve.otio"} <= names
        and "twelve.edl" not in names
        and "twelve.xml" not in names
    )
    assert (
        "twelve.edl was not written: CMX 3600 EDL uses SMPTE timecode, which has no 12 fps (only 23.976, 24, 25, "
        "29.97, 30, 50, 59.94 and 60); the timeline is in twelve.otio"
    ) in text
    import opentimelineio as otio

    assert (
        len(otio.adapters.read_from_file(str(tmp_path / "renders" / "twelve.otio")).tracks[0]) == 1
    )


# -- the limit table is documented ---------------------------------------------------------------------------


def test_limits_are_documented_exactly():
    from app.core.limits import markdown

    page = (ROOT / "docs" / "limits.md").read_text()
    assert markdown() in page, "docs/limits.md is stale: run `make docs`"
    assert set(LIMITS) == {
        line.split("`")[1] for line in page.splitlines() if line.startswith("| `")
    }


# -- fuzz: hostile renders dropped on the editor --------------------------------------------------------------


def test_fuzz_hostile_renders_open_in_the_editor_with_a_message(tmp_path, win):
    from PIL import Image, PngImagePlugin

    rng = np.random.default_rng(7)
    cases = {}
    cases["garbage.mp4"] = rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    cases["empty.mov"] = b""
    cases["truncated.png"] = (MEDIA / "coffee.png").read_bytes()[:5000]
    cases["text.webm"] = b"not a video at all" * 1000

    def png_with(text: str) -> bytes:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("reelgraph_workflow", text, zip=True)
        path = tmp_path / "tmp.png"
        Image.new("RGB", (8, 8)).save(path, pnginfo=info)
        return path.read_bytes()

    deep: dict = {}
    d = deep
    for _ in range(5000):
        d["a"] = {}
        d = d["a"]
    cases["deep.png"] = png_with(
        '{"schema": "reelgraph/workflow", "version": 1, "nodes": [], "ui": '
        + "[" * 3000
        + "]" * 3000
        + "}"
    )
    cases["list.png"] = png_with("[1, 2, 3]")
    cases["huge.png"] = png_with(
        json.dumps(
            {
                "schema": "reelgraph/workflow",
                "version": 1,
                "nodes": [],
                "links": [],
                "pad": "x" * (limit("workflow_bytes") + 10),
            }
        )
    )
    cases["not_json.png"] = png_with("{" * 10)
    cases["bad_nodes.png"] = png_with(
        json.dumps(
            {
                "schema": "reelgraph/workflow",
                "version": 1,
                "nodes": [{"id": "a", "type": "nope", "params": {"x": [1] * 5}}],
                "links": [{"from": ["a", "b"], "to": ["zz", "q"]}],
            }
        )
    )
    for _ in range(10):  # random mutations of a real render's workflow text
        text = bytearray(
            json.dumps(
                {
                    "schema": "reelgraph/workflow",
                    "version": 1,
                    "nodes": [{"id": "p", "type": "prompt", "params": {"subject": "x"}}],
                    "links": [],
                }
            ).encode()
        )
        for _ in range(5):
            text[int(rng.integers(0, len(text)))] = int(rng.integers(32, 127))
        cases[f"mutated_{len(cases)}.png"] = png_with(text.decode(errors="replace"))
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        t0 = time.monotonic()
        opened = win.open_path(path)
        assert time.monotonic() - t0 < 10, name
        if not opened:
            assert win.status_label.text().startswith(f"Cannot open {name}"), (
                name,
                win.status_label.text(),
            )
    assert win.isVisible()


# -- found by attacking the first round of fixes ------------------------------------------------------------


def test_a_stream_whose_frames_grow_midway_is_refused(tmp_path):
    import fractions

    import av
    import cv2

    path = (
        tmp_path / "growing.mov"
    )  # the header says 64x64; the packets are PNGs that grow to 9000x9000
    small = cv2.imencode(".png", np.zeros((64, 64), np.uint8))[1].tobytes()
    big = cv2.imencode(".png", np.zeros((9000, 9000), np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])[
        1
    ].tobytes()
    with av.open(str(path), "w") as c:
        s = c.add_stream("png", rate=24)
        s.width, s.height, s.pix_fmt = 64, 64, "gray"
        for i, data in enumerate([small] * 4 + [big] * 2):
            pkt = av.Packet(data)
            pkt.stream, pkt.pts, pkt.dts, pkt.time_base = s, i, i, fractions.Fraction(1, 24)
            pkt.is_keyframe = True
            c.mux(pkt)
    wf = workflow(tmp_path, [("v", "load_video", {"path": str(path)})], [])
    out, f = measured(tmp_path, "frames growing to 9000x9000", "run", str(wf))
    assert out.returncode == 1 and "9000x9000 frames; the limit is 8K" in clean(out)
    assert f["peak_mb"] < 900


def test_absurd_frame_rates_and_lengths_without_a_container_duration(tmp_path):
    import av

    for rate, said in ((90000, "frames a second; the limit is 120"), ("1/5000", "lasts 4.2 h")):
        path = tmp_path / f"r{len(str(rate))}.mkv"
        from fractions import Fraction

        with av.open(str(path), "w") as c:
            s = c.add_stream("libx264rgb", rate=Fraction(rate))
            s.width, s.height, s.pix_fmt = 16, 16, "rgb24"
            for _ in range(3):
                for pkt in s.encode(
                    av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")
                ):
                    c.mux(pkt)
            for pkt in s.encode():
                c.mux(pkt)
        wf = workflow(tmp_path, [("v", "load_video", {"path": str(path)})], [])
        out, f = measured(
            tmp_path, f"video at {str(rate).replace('/', ' per ')} fps", "run", str(wf)
        )
        assert out.returncode == 1 and said in clean(out), clean(out)
        assert f["peak_mb"] < 400


def test_a_huge_sample_rate_is_refused(tmp_path):
    import av

    path = tmp_path / "hirate.wav"
    with av.open(str(path), "w") as c:
        s = c.add_stream("pcm_s16le", rate=1_000_000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 100_000), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 1_000_000
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    wf = workflow(tmp_path, [("a", "load_audio", {"path": str(path)})], [])
    out = cli(tmp_path, "run", str(wf))
    assert out.returncode == 1 and "sampled at 1000000 Hz; the limit is 192000" in clean(out)


def test_system_files_and_a_linked_output_folder(tmp_path):
    wf = workflow(tmp_path, [("v", "load_video", {"path": "/proc/self/pagemap"})], [])
    out = cli(tmp_path, "run", str(wf), timeout=60)
    assert out.returncode == 1 and "is a system file" in clean(out)
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "renders").symlink_to(victim)  # a shared bundle's renders/ -> elsewhere
    wf = workflow(
        tmp_path,
        [
            ("p", "prompt", {"subject": "x"}),
            ("g", "generator", {"duration": 1, "fps": 6, "width": 64, "height": 64}),
            ("e", "export", {"filename": "evil"}),
        ],
        [("p", "prompt", "g", "prompt"), ("g", "video", "e", "video")],
        name="linked",
    )
    out = cli(tmp_path, "run", str(wf))
    assert out.returncode == 1 and "is a link to" in clean(out) and list(victim.iterdir()) == []


def test_a_16_bit_still_does_not_blow_up_memory(tmp_path):
    path = png_stream(tmp_path / "deep.png", 6000, 6000, bit_depth=16)
    wf = workflow(tmp_path, [("i", "reference_image", {"path": str(path)})], [])
    out, f = measured(tmp_path, "16-bit 6000x6000 still", "run", str(wf))
    assert out.returncode == 0, clean(out)
    assert f["peak_mb"] < 1200  # 36 MP: 16-bit decode (216 MB) + 8-bit copies, no float64 copy
