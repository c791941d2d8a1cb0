"""ComfyUI as a first-class backend, against a fake that behaves like the real server
(tests/providers/fake_comfy.py): templates as files added from an Export (API) file, auto-mapping
of ComfyUI's own Wan 2.1, Wan 2.2 5B and LTXV image-to-video templates (tests/providers/comfy/,
converted from Comfy-Org/workflow_templates), the template in the cache key, targeted cancel,
every output kind, vanished jobs, mapping errors, missing model files, progress."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.providers import comfy_templates as ct
from tests.providers.conftest import cancel_when
from tests.providers.fake_comfy import OBJECT_INFO, FakeComfy
from tests.ui.conftest import ROOT

FIXTURES = Path(__file__).parent / "comfy"


def graph(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def comfy(fast_net, result_video, monkeypatch):
    with FakeComfy(result_video) as server:
        monkeypatch.setenv("REELGRAPH_COMFYUI_BASE_URL", server.url)
        yield server


def add(name: str, g: dict, **changes) -> ct.Template:
    mapping, frames, output, _ = ct.propose(g, OBJECT_INFO)
    t = ct.Template(
        name=name, workflow=g, mapping=mapping, frames=frames, output=output, source="test"
    )
    for k, v in changes.items():
        setattr(t, k, v)
    ct.save(t)
    return t


def shot(runner, model: str, *, duration=2.0, fps=16.0, width=832, height=480, takes=1, image=True):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", runner.tmp / "coffee.png")
    nodes = [
        ("p", "prompt", {"subject": "espresso", "negative": "text"}),
        (
            "g",
            "generator",
            {
                "backend": "comfyui",
                "model": model,
                "duration": duration,
                "fps": fps,
                "width": width,
                "height": height,
                "seed": 11,
                "takes": takes,
            },
        ),
    ]
    links = [("p", "prompt", "g", "prompt")]
    if image:
        nodes.append(("i", "reference_image", {"path": "coffee.png"}))
        links.append(("i", "image", "g", "image"))
    return nodes, links


@pytest.mark.parametrize(
    "name,expect",
    [
        (
            "wan21_i2v_api",
            {
                "prompt": [["6", "text"]],
                "negative": [["7", "text"]],
                "image": [["52", "image"]],
                "seed": [["3", "seed"]],
                "width": [["50", "width"]],
                "height": [["50", "height"]],
                "frames": [["50", "length"]],
                "fps": [["55", "fps"]],
            },
        ),
        (
            "wan22_5b_ti2v_api",
            {
                "prompt": [["6", "text"]],
                "negative": [["7", "text"]],
                "image": [["56", "image"]],
                "seed": [["3", "seed"]],
                "width": [["55", "width"]],
                "height": [["55", "height"]],
                "frames": [["55", "length"]],
                "fps": [["57", "fps"]],
            },
        ),
        (
            "ltxv_i2v_api",
            {
                "prompt": [["6", "text"]],
                "negative": [["7", "text"]],
                "image": [["78", "image"]],
                "seed": [["72", "noise_seed"]],
                "width": [["77", "width"]],
                "height": [["77", "height"]],
                "frames": [["77", "length"]],
                "fps": [["69", "frame_rate"], ["80", "fps"]],
            },
        ),
    ],
)
def test_auto_mapping_finds_the_nodes_of_comfyuis_own_templates(name, expect):
    for info in (OBJECT_INFO, None):  # with the server's /object_info, and by class names alone
        mapping, frames, output, notes = ct.propose(graph(name), info)
        assert mapping == expect and notes == []
        assert (
            output == {"wan21_i2v_api": "56", "wan22_5b_ti2v_api": "58", "ltxv_i2v_api": "81"}[name]
        )
        assert frames == (
            {"step": 8, "offset": 1, "min": 9}
            if name == "ltxv_i2v_api"
            else {"step": 4, "offset": 1, "min": 1}
        )
    t = ct.Template(name="t", workflow=graph(name), mapping=expect)
    assert ct.problems(t, OBJECT_INFO) == []


def cli(tmp, *args, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("REELGRAPH_")}
    e.update(
        REELGRAPH_CONFIG_DIR=str(tmp / "config"),
        REELGRAPH_CACHE_DIR=str(tmp / "cache"),
        REELGRAPH_LOG_DIR=str(tmp / "logs"),
        REELGRAPH_POLL_INTERVAL="0.05",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=e,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_add_run_gets_the_video_asked_for(tmp_path, result_video):
    """The issue's 'done when': export in API format, `reelgraph comfyui add wf_api.json`, set the
    generator to comfyui with that template, get the right video with the size, length, seed and
    prompt asked for."""
    (tmp_path / "wf_api.json").write_text(json.dumps(graph("wan21_i2v_api")))
    with FakeComfy(result_video) as server:
        out = cli(
            tmp_path,
            "comfyui",
            "add",
            str(tmp_path / "wf_api.json"),
            "--name",
            "wan",
            REELGRAPH_COMFYUI_BASE_URL=server.url,
        )
        assert out.returncode == 0, out.stderr
        assert (
            "width      node 50 (WanImageToVideo).width" in out.stdout
            and "frames are 4n+1" in out.stdout
        )
        shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "coffee.png")
        doc = {
            "schema": "reelgraph/workflow",
            "version": 1,
            "nodes": [
                {
                    "id": "p",
                    "type": "prompt",
                    "params": {"subject": "a lighthouse at dusk", "negative": "blur"},
                },
                {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
                {
                    "id": "g",
                    "type": "generator",
                    "params": {
                        "backend": "comfyui",
                        "model": "wan",
                        "duration": 2,
                        "fps": 16,
                        "width": 832,
                        "height": 480,
                        "seed": 7,
                    },
                },
                {"id": "e", "type": "export", "params": {"filename": "shot"}},
            ],
            "links": [
                {"from": ["p", "prompt"], "to": ["g", "prompt"]},
                {"from": ["i", "image"], "to": ["g", "image"]},
                {"from": ["g", "video"], "to": ["e", "video"]},
            ],
        }
        (tmp_path / "shot.json").write_text(json.dumps(doc))
        out = cli(
            tmp_path, "run", str(tmp_path / "shot.json"), REELGRAPH_COMFYUI_BASE_URL=server.url
        )
        assert out.returncode == 0, out.stdout + out.stderr
        [(pid, sent)] = [(k, v["graph"]) for k, v in server.prompts.items()]
        assert sent["50"]["inputs"]["width"] == 832 and sent["50"]["inputs"]["height"] == 480
        assert sent["50"]["inputs"]["length"] == 33  # 2 s at 16 fps = 32 frames, Wan takes 4n+1
        assert sent["3"]["inputs"]["seed"] == 7 and sent["55"]["inputs"]["fps"] == 16
        assert "lighthouse" in sent["6"]["inputs"]["text"] and sent["7"]["inputs"]["text"] == "blur"
        assert sent["52"]["inputs"]["image"] == "rg_upload_1.png"
        # the still as the shot frames it: cropped to 832:480, at least 720 px high
        body = server.uploads[0]
        png = body[body.index(b"\x89PNG") : body.index(b"IEND\xaeB`\x82") + 8]
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            assert im.size == (1248, 720)
        assert (tmp_path / "renders" / "shot.mp4").exists()
        # the UI format is refused with the fix
        (tmp_path / "ui.json").write_text(
            json.dumps({"last_node_id": 3, "nodes": [], "links": [], "version": 0.4})
        )
        out = cli(tmp_path, "comfyui", "add", str(tmp_path / "ui.json"))
        assert out.returncode == 2 and "Export (API)" in out.stderr


def test_editing_the_template_reruns_the_node_and_nothing_else_does(comfy, runner):
    t = add("wan", graph("wan21_i2v_api"))
    assert runner(*shot(runner, "wan")).status == "ok"
    assert runner(*shot(runner, "wan")).states["g"] == "cached" and len(comfy.prompts) == 1
    t.workflow["3"]["inputs"]["steps"] = 30  # the user edits the template file
    ct.save(t)
    r = runner(*shot(runner, "wan"))
    assert r.states["g"] == "finished" and len(comfy.prompts) == 2
    assert [p["graph"]["3"]["inputs"]["steps"] for p in comfy.prompts.values()] == [20, 30]


def test_stop_deletes_our_queued_prompt_and_interrupts_only_ours(comfy, runner):
    from app.core.context import CancelToken
    from app.core.workflow import Workflow

    add("wan", graph("wan21_i2v_api"))
    other = comfy.add_other_client_job()  # another client's job is running: ours waits in the queue
    nodes, links = shot(runner, "wan")
    wf = Workflow.model_validate(
        {
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
        }
    )
    token = CancelToken()
    n0 = len(comfy.prompts)
    cancel_when(lambda: len(comfy.prompts) > n0, token)  # ours is queued
    res = runner.ex.run(wf, base_dir=runner.tmp, out_dir=runner.tmp / "r", cancel=token)
    assert res.status == "cancelled"
    assert (
        comfy.interrupts == [] and len(comfy.deleted) == 1
    )  # the other client's job was not touched
    assert comfy.prompts[other]["state"] == "running"
    # now ours is the one running: it is interrupted by its prompt_id
    del comfy.prompts[other]
    comfy.order.remove(other)
    comfy.steps = 10_000
    token = CancelToken()
    cancel_when(lambda: any(v["state"] == "running" for v in list(comfy.prompts.values())), token)
    res = runner.ex.run(wf, base_dir=runner.tmp, out_dir=runner.tmp / "r", cancel=token)
    assert res.status == "cancelled"
    [pid] = [p for p, v in comfy.prompts.items() if v["state"] == "interrupted"]
    assert comfy.interrupts == [pid]


@pytest.mark.parametrize(
    "kind,frames,fps,suffix",
    [
        ("webp", 6, 8.0, ".mkv"),
        ("images", 6, 16.0, ".mkv"),
        ("gifs", None, None, ".mp4"),
        ("video", None, None, ".mp4"),
    ],
)
def test_every_output_kind_becomes_a_real_video(
    comfy, runner, kind, frames, fps, suffix, result_video
):
    from app.media.video import probe

    comfy.output = kind
    add("wan", graph("wan21_i2v_api"))
    r = runner(*shot(runner, "wan"))
    assert r.status == "ok", r.errors
    video = r.outputs["g"]["video"]
    assert video.path.suffix == suffix
    meta = probe(video.path)
    if frames is not None:  # animated WebP (125 ms a frame) or a SaveImage batch at the shot's rate
        assert (meta.frames, round(meta.fps, 3), meta.width, meta.height) == (frames, fps, 96, 64)
    else:
        assert video.path.read_bytes() == result_video.read_bytes()


def test_an_animated_webp_keeps_the_asked_rate_its_milliseconds_round_to(tmp_path):
    """SaveAnimatedWEBP at 24 fps stores 41 ms a frame (seen on ComfyUI 0.3.64): the video is 24 fps,
    not 24.39; a file whose timing says another rate keeps its own."""
    from PIL import Image

    from app.media.video import probe
    from app.providers.comfy import frames_to_video

    frames = [Image.new("RGB", (64, 48), (i * 40, 0, 0)) for i in range(5)]
    for ms, asked, want in ((41, 24.0, 24.0), (125, 24.0, 8.0)):
        src = tmp_path / f"a{ms}.webp"
        frames[0].save(
            src, save_all=True, append_images=frames[1:], duration=ms, loop=0, lossless=True
        )
        meta = probe(frames_to_video([src], tmp_path / f"take_{ms}", asked))
        assert (meta.frames, round(meta.fps, 3)) == (5, want)


def test_a_job_that_vanishes_is_reported_not_polled_forever(comfy, runner):
    add("wan", graph("wan21_i2v_api"))
    comfy.steps = 10_000

    def restart_once_submitted() -> None:  # ComfyUI restarts: its queue and history are gone
        deadline = time.monotonic() + 60
        while not comfy.prompts and time.monotonic() < deadline:
            time.sleep(0.05)  # not before the job is there, however slow the machine is
        time.sleep(0.3)
        comfy.restart()

    threading.Thread(target=restart_once_submitted, daemon=True).start()
    t0 = time.monotonic()
    r = runner(*shot(runner, "wan"))
    assert r.status == "failed" and "no longer has this job" in r.errors["g"]
    assert time.monotonic() - t0 < 30  # reported, not polled for the 10,000 steps


def test_mapping_problems_and_unmapped_inputs_are_refused_before_queueing(comfy, runner):
    from app.core.errors import WorkflowError

    add(
        "typo",
        graph("wan21_i2v_api"),
        mapping=dict(ct.propose(graph("wan21_i2v_api"))[0], image=[["52", "images"]]),
    )
    with pytest.raises(
        WorkflowError, match=r"mapping 'image': node 52 \(LoadImage\) input 'images' does not exist"
    ):
        runner(*shot(runner, "typo"))
    m = ct.propose(graph("wan21_i2v_api"))[0]
    del m["width"], m["height"]
    add("nosize", graph("wan21_i2v_api"), mapping=m)
    with pytest.raises(
        WorkflowError, match="maps no 'width', so the width you set would be ignored"
    ):
        runner(*shot(runner, "nosize"))
    assert comfy.prompts == {} and comfy.uploads == []


def test_placeholders_in_the_template_itself_are_filled(comfy, runner):
    g = graph("wan21_i2v_api")
    g["6"]["inputs"]["text"] = "{{prompt}}, cinematic"
    m = ct.propose(graph("wan21_i2v_api"))[0]
    del m["prompt"]
    add("ph", g, mapping=m)
    r = runner(*shot(runner, "ph"))
    assert r.status == "ok", r.errors
    [sent] = [p["graph"] for p in comfy.prompts.values()]
    assert (
        sent["6"]["inputs"]["text"].endswith(", cinematic")
        and "espresso" in sent["6"]["inputs"]["text"].lower()
    )


def test_missing_model_files_are_listed_with_their_folders(comfy, runner):
    comfy.models = {"something_else.safetensors"}
    add("wan", graph("wan21_i2v_api"))
    r = runner(*shot(runner, "wan"))
    assert r.status == "failed"
    msg = r.errors["g"]
    assert "missing model files on the ComfyUI server:" in msg
    assert (
        "wan2.1_i2v_480p_14B_fp16.safetensors (ComfyUI/models/diffusion_models/, node 37 UNETLoader)"
        in msg
    )
    assert "(ComfyUI/models/vae/" in msg and len(msg) < 1500


def test_a_class_the_server_lacks_is_named_before_queueing(comfy, runner):
    del comfy.object_info["WanImageToVideo"]
    add("wan", graph("wan21_i2v_api"))
    r = runner(*shot(runner, "wan"))
    assert (
        r.status == "failed"
        and "node 50 is a WanImageToVideo, which this ComfyUI server does not have" in r.errors["g"]
    )
    assert comfy.prompts == {}


def test_an_unreachable_server_is_reported_in_seconds(fast_net, runner, monkeypatch):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    monkeypatch.setenv("REELGRAPH_COMFYUI_BASE_URL", f"http://127.0.0.1:{port}")
    add("wan", graph("wan21_i2v_api"))
    t0 = time.monotonic()
    r = runner(*shot(runner, "wan"))
    assert r.status == "failed" and "cannot reach" in r.errors["g"] and time.monotonic() - t0 < 6


def test_progress_comes_from_the_websocket(comfy, runner):
    from app.core.workflow import Workflow

    add("wan", graph("wan21_i2v_api"))
    comfy.steps = 40  # about 2 s of polling: several (throttled) progress events
    nodes, links = shot(runner, "wan")
    wf = Workflow.model_validate(
        {
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
        }
    )
    seen = []
    res = runner.ex.run(
        wf,
        base_dir=runner.tmp,
        out_dir=runner.tmp / "r",
        on_event=lambda ev: seen.append(ev) if ev.event == "progress" else None,
    )
    assert res.status == "ok"
    fractions = [ev.progress for ev in seen if ev.node == "g" and 0 < (ev.progress or 0) < 0.95]
    assert len(set(fractions)) >= 2 and max(fractions) > min(
        fractions
    )  # the bar moved while ComfyUI worked
    assert any("step" in (ev.message or "") for ev in seen if ev.node == "g")


def test_the_editor_adds_a_workflow_with_the_mapping_shown_to_confirm(
    win, qtbot, tmp_path, monkeypatch
):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog

    from tests.ui.test_editors import shot as screenshot

    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv(
        "REELGRAPH_COMFYUI_BASE_URL", "http://127.0.0.1:9"
    )  # no server: mapping by class
    (tmp_path / "ltx_api.json").write_text(json.dumps(graph("ltxv_i2v_api")))
    steps = []

    def drive() -> None:
        dlg = win.comfy_dialog
        node, field = dlg.rows["width"]
        assert node.currentData() == "77" and field.text() == "width"
        screenshot(dlg, "comfyui_add_workflow.png")
        field.setText("widht")  # a typo: refused with the node and input named, nothing saved
        dlg.save()
        steps.append(dlg.problems.text())
        field.setText("width")
        dlg.name.setText("ltx")
        dlg.save()
        steps.append(dlg.result() == QDialog.Accepted)

    QTimer.singleShot(0, drive)
    saved = win.add_comfy_workflow(tmp_path / "ltx_api.json")
    assert "node 77 (LTXVImgToVideo) input 'widht' does not exist" in steps[0] and steps[1] is True
    assert saved == tmp_path / "config" / "comfyui" / "ltx.json"
    t = ct.load("ltx")
    assert t.mapping["width"] == [["77", "width"]] and t.mapping["fps"] == [
        ["69", "frame_rate"],
        ["80", "fps"],
    ]
    (tmp_path / "ui.json").write_text(
        json.dumps({"last_node_id": 3, "nodes": [], "links": [], "version": 0.4})
    )
    assert win.add_comfy_workflow(tmp_path / "ui.json") is None
    assert "Export (API)" in win.status_label.text()


def test_a_comfyui_generator_adds_its_template_from_its_own_properties(
    win, qtbot, tmp_path, monkeypatch
):
    """The generator's properties offer "Add ComfyUI workflow..." where the template is used; the
    saved template becomes the node's model."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QFileDialog, QPushButton

    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("REELGRAPH_COMFYUI_BASE_URL", "http://127.0.0.1:9")
    (tmp_path / "wan_api.json").write_text(json.dumps(graph("wan21_i2v_api")))
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "wan_api.json"), "")
    )
    nid = win.doc.add_node("generator", (0, 0), {"backend": "local"})
    win.props.show_node(nid)
    assert win.props.findChild(QPushButton, "add_comfy") is None  # only where it applies
    win.doc.set_param(nid, "backend", "comfyui")
    qtbot.waitUntil(lambda: win.props.findChild(QPushButton, "add_comfy") is not None)

    def drive() -> None:
        win.comfy_dialog.name.setText("my wan")
        win.comfy_dialog.save()

    QTimer.singleShot(0, drive)
    qtbot.mouseClick(win.props.findChild(QPushButton, "add_comfy"), Qt.LeftButton)
    assert (tmp_path / "config" / "comfyui" / "my wan.json").is_file()
    assert win.doc.wf.node(nid).params["model"] == "my wan"


def test_the_same_still_is_uploaded_under_one_name_whatever_the_seed(comfy, runner):
    """Found on a real ComfyUI: every job uploaded the still under a new random name, filling its
    input folder. The name is the content's hash (ComfyUI overwrites a same-named upload)."""
    import re

    add("wan", graph("wan21_i2v_api"))
    names = []
    for seed in (1, 2):
        nodes, links = shot(runner, "wan")
        nodes[1][2]["seed"] = seed
        assert runner(nodes, links).status == "ok"
        names.append(re.search(rb'filename="([^"]+)"', comfy.uploads[-1]).group(1).decode())
    assert (
        len(comfy.uploads) == 2
        and names[0] == names[1]
        and re.fullmatch(r"rg_[0-9a-f]{16}\.png", names[0])
    )
    assert b"Content-Type: image/png" in comfy.uploads[0]


def test_a_server_silent_for_a_while_is_waited_for_not_failed(comfy, runner):
    """A restart or a network blip while ComfyUI works: the submitted job is followed again when
    the server answers (found on a real ComfyUI: a restart failed the run at once)."""
    from tests.providers.fakes import Reply

    add("wan", graph("wan21_i2v_api"))
    comfy.fault("poll", *[Reply(500, {"error": "history is busy"})] * 6)
    r = runner(*shot(runner, "wan"))
    assert r.status == "ok", r.errors
    assert len(comfy.prompts) == 1


def test_a_resumed_job_is_followed_without_uploading_or_queueing_again(comfy, runner, monkeypatch):
    from tests.providers.fakes import Reply

    add("wan", graph("wan21_i2v_api"))
    monkeypatch.setenv("REELGRAPH_UNREACHABLE_GRACE", "0")
    comfy.fault(
        "poll", *[Reply(500, {"error": "history is busy"})] * 3
    )  # the run gives up while it waits
    first = runner(*shot(runner, "wan"))
    assert first.status == "failed" and len(comfy.prompts) == 1 and len(comfy.uploads) == 1
    again = runner(*shot(runner, "wan"))
    assert again.status == "ok", again.errors
    assert (
        len(comfy.prompts) == 1 and len(comfy.uploads) == 1
    )  # the same prompt, the image not sent again


def test_a_separate_audio_output_is_muxed_into_the_shot(comfy, runner, result_video):
    from app.media.video import probe

    comfy.output = "video+audio"
    add("wan", graph("wan21_i2v_api"))
    r = runner(*shot(runner, "wan"))
    assert r.status == "ok", r.errors
    video = r.outputs["g"]["video"]
    got, src = probe(video.path), probe(result_video)
    assert got.has_audio and (got.frames, got.width, got.height) == (
        src.frames,
        src.width,
        src.height,
    )


def test_another_server_is_another_result(comfy, runner, result_video, monkeypatch):
    add("wan", graph("wan21_i2v_api"))
    assert runner(*shot(runner, "wan")).states["g"] == "finished"
    assert runner(*shot(runner, "wan")).states["g"] == "cached"
    with FakeComfy(result_video) as other:  # the user's second GPU box, with its own models
        monkeypatch.setenv("REELGRAPH_COMFYUI_BASE_URL", other.url)
        r = runner(*shot(runner, "wan"))
        assert r.states["g"] == "finished" and len(other.prompts) == 1


def test_hostile_answers_are_bounded_and_said_not_read_whole(comfy, runner, monkeypatch):
    """From the attack on issue 14: an endless answer filled memory, an endless /view the disk.
    Answers and results are read under limits (answer_bytes, result_bytes), named when crossed."""
    from app.core import limits

    add("wan", graph("wan21_i2v_api"))
    monkeypatch.setitem(limits.LIMITS, "answer_bytes", limits.Limit(4096, "bytes", "test"))
    r = runner(*shot(runner, "wan"))  # /object_info is 47 KB here
    assert r.status == "failed" and "the limit is 4,096" in r.errors["g"] and comfy.prompts == {}
    monkeypatch.setitem(limits.LIMITS, "answer_bytes", limits.Limit(64 * 2**20, "bytes", "test"))
    monkeypatch.setitem(limits.LIMITS, "result_bytes", limits.Limit(1000, "bytes", "test"))
    nodes, links = shot(runner, "wan")
    nodes[1][2]["seed"] = 99
    r = runner(nodes, links)
    assert (
        r.status == "failed"
        and "result is" in r.errors["g"]
        and "the limit is 1,000" in r.errors["g"]
    )
    assert not list((runner.tmp / "cache").rglob("*.part"))


@pytest.mark.parametrize(
    "frames,said", [({"step": 0}, "step"), ({"step": 4, "min": 10**12}, "min"), ("abc", "frames")]
)
def test_a_shared_template_with_wild_frame_rules_is_refused_by_name(comfy, runner, frames, said):
    from app.core.errors import WorkflowError

    add("wild", graph("wan21_i2v_api"))
    path = ct.find("wild")
    doc = json.loads(path.read_text())
    doc["frames"] = frames
    path.write_text(json.dumps(doc))
    with pytest.raises(WorkflowError, match=r'"frames" must be'):
        runner(*shot(runner, "wild"))
    assert comfy.prompts == {}


def test_progress_messages_of_other_prompts_are_ignored():
    from app.providers.comfy import Progress

    p = Progress.__new__(Progress)
    p.state, p.done, p.total, p.finished, p._step = {}, set(), {"mine": 4}, {}, {}
    for i in range(10_000):  # a flood of made-up prompt ids keeps nothing
        p._handle({"type": "execution_cached", "data": {"prompt_id": f"x{i}", "nodes": ["1"]}})
    p._handle({"type": "execution_cached", "data": {"prompt_id": "mine", "nodes": ["1", "2"]}})
    assert set(p.finished) == {"mine"} and p.state["mine"][0] == 0.5
