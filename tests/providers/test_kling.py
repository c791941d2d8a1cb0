"""Kling against a real HTTP fake on 127.0.0.1: request bodies as documented (y flip, one-axis
camera), JWT, faults (429, 500s, hangs, garbage, expired token, policy, credit, truncated and
expired downloads), no duplicate submits, a process killed mid-job and restarted."""

import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from app.media.masks import encode_mask
from tests.providers.conftest import cancel_when
from tests.providers.fakes import ACCESS, Reply
from tests.ui.conftest import ROOT

MEDIA = ROOT / "resources" / "media"


def shot(
    runner,
    *,
    motion=None,
    camera=None,
    end=False,
    model="kling-v1",
    duration=5,
    takes=1,
    extra_nodes=(),
):
    shutil.copy(MEDIA / "coffee.png", runner.tmp / "coffee.png")
    nodes = [
        ("p", "prompt", {"subject": "a cup of coffee", "negative": "text"}),
        ("i", "reference_image", {"path": "coffee.png"}),
        (
            "g",
            "generator",
            {"backend": "kling", "model": model, "duration": duration, "takes": takes},
        ),
    ]
    links = [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image")]
    if motion is not None:
        nodes.append(("m", "motion_brush", motion))
        links += [("i", "image", "m", "image"), ("m", "motion", "g", "motion")]
    if camera is not None:
        nodes.append(("c", "camera_path", camera))
        links.append(("c", "camera", "g", "camera"))
    if end:
        links.append(("i", "image", "g", "end_image"))
    nodes += list(extra_nodes)
    return nodes, links


def brush():
    h, w = 400, 600
    static = np.zeros((h, w), np.uint8)
    static[300:, :] = 255
    region = np.zeros((h, w), np.uint8)
    region[50:150, 100:300] = 255
    return {
        "static_mask": encode_mask(static),
        "regions": [
            {
                "name": "steam",
                "mask": encode_mask(region),
                "trajectory": [[150, 100], [250, 60], [350, 40]],
            }
        ],
    }


def test_image2video_with_motion_brush_body_and_result(kling, runner):
    r = runner(*shot(runner, motion=brush()))
    assert r.status == "ok", r.errors
    [body] = kling.bodies
    assert body["model_name"] == "kling-v1" and body["duration"] == "5" and body["mode"] == "std"
    # the still as the shot frames it (fill, centred) at the model's 16:9: rows 31..368 of the 600x400
    # still, enlarged to 1280x720 (models make 720p; small stills are sent at least 720 px high)
    sent = cv2.imdecode(np.frombuffer(base64.b64decode(body["image"]), np.uint8), cv2.IMREAD_COLOR)
    still = cv2.resize(
        cv2.imread(str(runner.tmp / "coffee.png"))[31:369],
        (1280, 720),
        interpolation=cv2.INTER_LINEAR,
    )
    assert (
        sent.shape == (720, 1280, 3) and np.abs(sent.astype(int) - still.astype(int)).mean() < 4.0
    )
    assert "a cup of coffee" in body["prompt"].lower() and body["negative_prompt"] == "text"
    assert body["external_task_id"].startswith("rg-")
    assert "camera_control" not in body and "image_tail" not in body
    static = cv2.imdecode(
        np.frombuffer(base64.b64decode(body["static_mask"]), np.uint8), cv2.IMREAD_GRAYSCALE
    )
    # the masks and the path moved with the framing: row 300 of the still is about row 573 of the frame
    assert static.shape == (720, 1280) and static[600, 10] == 255 and static[540, 10] == 0
    [dyn] = body["dynamic_masks"]
    # (x, y) of the still is ((x + .5) k - .5, (y - 31.25 + .5) k - .5) framed, k = 720 / 337.5; Kling counts y
    # from the bottom: 719 - that
    k = 720 / 337.5
    want = [
        ((x + 0.5) * k - 0.5, 719 - ((y - 31.25 + 0.5) * k - 0.5))
        for x, y in [(150, 100), (250, 60), (350, 40)]
    ]
    got = [(p["x"], p["y"]) for p in dyn["trajectories"]]
    assert np.abs(np.array(got) - np.array(want)).max() <= 1.5
    claims = kling.tokens[0]
    assert claims["iss"] == ACCESS and claims["exp"] - claims["nbf"] == 1805
    video = r.outputs["g"]["video"]
    assert video.path.read_bytes() == kling.video.read_bytes()  # exactly as downloaded
    assert video.meta["backend"] == "kling" and video.meta["cost"] == pytest.approx(0.14)
    assert kling.count("POST", "/image2video") == 1


def test_camera_path_becomes_one_axis_simple_control(kling, runner):
    # the capability map: camera control in image-to-video on kling-v1-5 pro, 5 s
    r = runner(*shot(runner, camera={"preset": "pan_right", "intensity": 1.0}, model="kling-v1-5"))
    assert r.status == "ok", r.errors
    body = kling.bodies[0]
    assert body["mode"] == "pro"  # mode left empty: the mode that takes a camera move
    cc = body["camera_control"]
    assert cc["type"] == "simple"
    nonzero = {k: v for k, v in cc["config"].items() if v}
    assert list(nonzero) == ["pan"] and 0 < nonzero["pan"] <= 10
    meta = r.outputs["g"]["video"].meta
    assert any("one camera axis" in n for n in meta["notes"]) and meta["mode"] == "pro"
    assert meta["cost"] == pytest.approx(0.098 * 5)


def test_v2_models_get_no_cfg_scale_and_masters_no_mode(kling, runner):
    r = runner(*shot(runner, model="kling-v2-1"))
    assert r.status == "ok", r.errors
    r = runner(*shot(runner, model="kling-v2-1-master"))
    assert r.status == "ok", r.errors
    v21, master = kling.bodies
    assert "cfg_scale" not in v21 and v21["mode"] == "std"
    assert "cfg_scale" not in master and "mode" not in master
    r = runner(*shot(runner, model="kling-v1-6"))
    assert kling.bodies[-1]["cfg_scale"] == 0.5  # v1.x takes it


def test_inputs_kling_cannot_honour_are_refused_before_submitting(kling, runner):
    from app.core.errors import WorkflowError

    with pytest.raises(WorkflowError, match="makes 5 or 10 s clips"):
        runner(*shot(runner, duration=4))
    with pytest.raises(
        WorkflowError,
        match=r"kling-v2-1 \(in any mode\) cannot take a motion brush; Kling models "
        r"that can: kling-v1 \(std, 5 s; pro, 5 s\), kling-v1-5 \(pro, 5 s\)",
    ):
        runner(*shot(runner, motion=brush(), model="kling-v2-1"))
    with pytest.raises(WorkflowError, match=r"kling-v1-5 \(std\) cannot take a motion brush"):
        nodes, links = shot(runner, motion=brush(), model="kling-v1-5")
        nodes[2][2]["mode"] = "std"
        runner(nodes, links)
    with pytest.raises(
        WorkflowError, match="takes one of an end frame, a motion brush, camera control per request"
    ):
        runner(*shot(runner, motion=brush(), camera={"preset": "zoom_in"}, model="kling-v1-5"))
    with pytest.raises(
        WorkflowError, match="cannot take an end frame; Kling models that can: kling-v1 "
    ):
        runner(*shot(runner, end=True, model="kling-v2-master"))
    with pytest.raises(
        WorkflowError,
        match=r"kling-v1 \(std\) makes 5 s clips with an end frame; set duration to 5",
    ):
        runner(*shot(runner, end=True, duration=10))
    with pytest.raises(WorkflowError, match="Kling has no model 'kling-v9'"):
        runner(*shot(runner, model="kling-v9"))
    assert kling.requests == []  # nothing was sent, nothing paid for


def test_motion_brush_on_kling_v1_5_is_sent_in_pro_mode(kling, runner):
    r = runner(*shot(runner, motion=brush(), model="kling-v1-5"))
    assert r.status == "ok", r.errors
    [body] = kling.bodies
    assert body["mode"] == "pro" and body["model_name"] == "kling-v1-5" and "dynamic_masks" in body


def test_images_kling_would_refuse_are_refused_before_upload(kling, runner):
    import cv2 as _cv2

    # framed and enlarged at most 4x for the model (a 16:9 band of 100x40 becomes 284x160): still too small
    _cv2.imwrite(str(runner.tmp / "tiny.png"), np.full((40, 100, 3), 128, np.uint8))
    nodes, links = shot(runner)
    nodes[1][2]["path"] = "tiny.png"
    r = runner(nodes, links)
    assert r.status == "failed" and "at least 300 px on each side" in r.errors["g"]
    assert kling.requests == []


def test_retries_on_429_and_500_and_garbage_without_duplicate_submits(kling, runner):
    kling.fault(
        "submit",
        Reply(429, {"code": 1302, "message": "rate limit"}, {"Retry-After": "0"}),
        Reply(503, {"code": 5001, "message": "busy"}),
    )
    kling.fault(
        "poll",
        Reply(500, {"code": 5000, "message": "oops"}),
        Reply(200, b"<html>gateway</html>"),
        Reply(200, b"{not json"),
    )
    kling.fault("download", Reply(502, b"bad gateway"))
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors
    assert len(kling.bodies) == 1  # the 429 and 503 were answered before any task existed
    assert r.outputs["g"]["video"].path.read_bytes() == kling.video.read_bytes()


def test_a_hung_submit_is_looked_up_not_repeated(kling, runner):
    kling.fault("submit", Reply(200, {"code": 0, "data": {"task_id": "lost"}}, delay=2.5))
    # the hung reply is a fault; the task still gets created by the real handler afterwards
    original = kling.dispatch

    def dispatch(req):
        reply = original(req)
        if req.method == "POST" and reply.delay:
            body = req.json()
            kling.bodies.append(body)
            tid = "900001"
            kling.tasks[tid] = {"polls": 0, "t0": time.monotonic(), "failed": None}
            kling.by_external[body["external_task_id"]] = tid
        return reply

    kling.dispatch = dispatch
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors
    assert kling.count("POST", "/image2video") == 1  # looked up by external_task_id, not sent again
    assert len(kling.tasks) == 1


def test_expired_token_is_refreshed_and_busy_codes_in_200_answers_are_waited_out(kling, runner):
    kling.fault(
        "poll",
        Reply(401, {"code": 1004, "message": "token expired"}),
        Reply(200, {"code": 1303, "message": "concurrency limit"}),
    )
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors


@pytest.mark.parametrize(
    "code,message,expect",
    [
        (1301, "risk control", "content safety"),
        (1102, "balance not enough", "out of credit"),
    ],
)
def test_final_failures_are_clear_and_not_retried(kling, runner, code, message, expect):
    kling.fault("submit", Reply(400 if code == 1301 else 429, {"code": code, "message": message}))
    r = runner(*shot(runner))
    assert r.status == "failed" and expect in r.errors["g"]
    assert kling.count("POST", "/image2video") == 1


def test_failed_task_expired_link_and_truncated_download(kling, runner):
    kling.fault("download", Reply(200, kling.video.read_bytes(), truncate=True))
    r = runner(*shot(runner))
    assert (
        r.status == "ok" and r.outputs["g"]["video"].path.read_bytes() == kling.video.read_bytes()
    )
    kling.fault("download", Reply(404, {"error": "expired"}))
    r = runner(*shot(runner, takes=1, model="kling-v1-6"))
    assert (
        r.status == "failed"
        and "can no longer be downloaded" in r.errors["g"]
        and "new, paid job" in r.errors["g"]
    )
    kling.fail_next_task = "the image contains a prohibited subject"
    r = runner(*shot(runner, model="kling-v2-1"))
    assert r.status == "failed" and "prohibited subject" in r.errors["g"]


def test_takes_submit_concurrently_and_each_is_downloaded(kling, runner):
    r = runner(*shot(runner, takes=3))
    assert r.status == "ok"
    takes = r.outputs["g"]["takes"].meta["takes_files"]
    assert takes == ["take_01.mp4", "take_02.mp4", "take_03.mp4"] and len(kling.bodies) == 3
    assert len({b["external_task_id"] for b in kling.bodies}) == 3


def test_killed_mid_job_resumes_without_paying_again(kling, tmp_path):
    shutil.copy(MEDIA / "coffee.png", tmp_path / "coffee.png")
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "remote",
        "nodes": [
            {"id": "p", "type": "prompt", "params": {"subject": "x"}},
            {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
            {
                "id": "g",
                "type": "generator",
                "params": {"backend": "kling", "model": "kling-v1", "duration": 5},
            },
            {"id": "e", "type": "export", "params": {"filename": "out"}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["i", "image"], "to": ["g", "image"]},
            {"from": ["g", "video"], "to": ["e", "video"]},
        ],
    }
    wf = tmp_path / "remote.json"
    wf.write_text(json.dumps(doc))
    kling.latency = 4.0
    env = dict(os.environ, REELGRAPH_CACHE_DIR=str(tmp_path / "cache"))
    cmd = [sys.executable, "-m", "app.cli", "run", str(wf), "--events", "jsonl"]
    p = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    journal = tmp_path / "cache" / "jobs.sqlite"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if journal.exists():
            try:
                with sqlite3.connect(journal) as db:
                    rows = db.execute("SELECT state FROM jobs").fetchall()
            except sqlite3.OperationalError:
                rows = []  # being created
            if rows and rows[0][0] in ("submitted", "running"):
                break
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    assert kling.count("POST", "/image2video") == 1
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert kling.count("POST", "/image2video") == 1  # resumed: polled and downloaded the same task
    assert (tmp_path / "renders" / "out.mp4").exists()
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [("downloaded",)]


def test_kling_lipsync_identifies_the_face_then_advanced_lip_syncs(kling, runner):
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    nodes, links = shot(
        runner,
        extra_nodes=[
            ("a", "load_audio", {"path": "speech.wav"}),
            ("l", "lip_sync", {"backend": "kling"}),
        ],
    )
    links += [("g", "video", "l", "video"), ("a", "audio", "l", "audio")]
    r = runner(nodes, links)
    assert r.status == "ok", r.errors
    task_id = next(iter(kling.tasks))
    assert kling.identify_bodies == [{"video_id": f"v{task_id}"}]
    [body] = kling.lipsync_bodies
    assert body["session_id"] == "sess1"
    [face] = body["face_choose"]
    audio = r.outputs["a"]["audio"]
    assert (
        face["face_id"] == "0" and base64.b64decode(face["sound_file"]) == audio.path.read_bytes()
    )
    assert face["sound_start_time"] == 0 and face["sound_insert_time"] == 0
    assert face["sound_end_time"] == min(
        int(audio.meta["duration"] * 1000), 3000
    )  # within the 3 s video
    assert (
        kling.count("POST", "/v1/videos/lip-sync") == 0
    )  # the legacy endpoint is only the fallback model
    # a video Kling did not make is refused before anything is sent
    nodes2 = [
        ("v", "load_video", {"path": str(kling.video)}),
        ("a", "load_audio", {"path": "speech.wav"}),
        ("l", "lip_sync", {"backend": "kling"}),
    ]
    r = runner(nodes2, [("v", "video", "l", "video"), ("a", "audio", "l", "audio")])
    assert (
        r.status == "failed"
        and "videos Kling made" in r.errors["l"]
        and len(kling.lipsync_bodies) == 1
    )


def test_kling_lipsync_legacy_fallback_and_the_5_mb_audio_limit(kling, runner):
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    nodes, links = shot(
        runner,
        extra_nodes=[
            ("a", "load_audio", {"path": "speech.wav"}),
            ("l", "lip_sync", {"backend": "kling", "model": "lip-sync"}),
        ],
    )
    links += [("g", "video", "l", "video"), ("a", "audio", "l", "audio")]
    r = runner(nodes, links)
    assert r.status == "ok", r.errors
    [body] = kling.lipsync_bodies
    assert body["input"]["mode"] == "audio2video" and body["input"]["audio_type"] == "file"
    # 3 minutes of 16 kHz audio is over Kling's 5 MB: refused before identify-face or upload
    import wave

    with wave.open(str(runner.tmp / "long.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\1" * 16000 * 180)
    nodes[-2] = ("a", "load_audio", {"path": "long.wav"})
    nodes[-1] = ("l", "lip_sync", {"backend": "kling"})
    r = runner(nodes, links)
    assert r.status == "failed" and "Kling lip-sync takes up to 5 MB" in r.errors["l"]
    assert len(kling.identify_bodies) == 0 and len(kling.lipsync_bodies) == 1


def test_a_resend_refused_as_a_duplicate_is_found_not_paid_twice(kling, runner):
    """The first submit's answer is lost, a lookup finds nothing yet (the task is still being
    registered), the resend under the same external_task_id is refused as a duplicate: the task
    is looked up again and followed. One task, and no failed take to re-submit with a new id."""
    seen = {"lookups": 0}
    original = kling.dispatch

    def dispatch(req):
        if req.method == "POST" and req.path == "/v1/videos/image2video" and not kling.bodies:
            original(req)  # the task is created...
            return Reply(504, b"gateway timeout")  # ...but the answer is lost
        if req.method == "GET" and "/image2video/rg-" in req.path:
            seen["lookups"] += 1
            if seen["lookups"] == 1:
                return Reply(404, {"code": 1203, "message": "task not found"})  # not visible yet
        return original(req)

    kling.dispatch = dispatch
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors
    assert len(kling.tasks) == 1 and seen["lookups"] == 2
    assert (
        kling.count("POST", "/image2video") == 2
    )  # the resend was refused as a duplicate, never paid


def test_a_gateway_error_after_the_task_was_created_is_not_paid_twice(kling, runner):
    kling.created_then_502 = True  # the provider made the task, then the gateway answered 502
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors
    assert (
        kling.count("POST", "/image2video") == 1 and len(kling.tasks) == 1
    )  # looked up, not re-sent


def test_stop_never_cancels_a_finished_job_and_the_next_run_resumes_it(kling, runner, tmp_path):

    from app.core.context import CancelToken

    kling.fault("download", Reply(200, kling.video.read_bytes(), delay=1.5))
    token = CancelToken()
    cancel_when(lambda: kling.count("GET", r"/files/") > 0, token)  # while the result downloads
    nodes, links = shot(runner)
    from app.core.workflow import Workflow

    wf = Workflow.model_validate(
        {
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
        }
    )
    res = runner.ex.run(wf, base_dir=runner.tmp, out_dir=runner.tmp / "renders", cancel=token)
    assert res.status == "cancelled"
    with sqlite3.connect(runner.tmp / "cache" / "jobs.sqlite") as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [("done",)]
    again = runner.ex.run(wf, base_dir=runner.tmp, out_dir=runner.tmp / "renders")
    assert again.status == "ok" and kling.count("POST", "/image2video") == 1


@pytest.mark.parametrize("lost", ["502", "503", "504", "not json"])
def test_a_resend_refused_as_taken_while_the_task_stays_invisible_is_never_paid_twice(
    kling, runner, lost
):
    """The provider makes the task and loses the answer; lookups keep saying 'not found' (the
    task is not visible yet); the resend under our id is refused as taken. The take is never
    marked failed (which would let the next run submit with a new id): the next run finds it."""
    state = {"hide": True}
    original = kling.dispatch

    def dispatch(req):
        if req.method == "POST" and req.path == "/v1/videos/image2video" and not kling.bodies:
            original(req)
            return Reply(200, b"<html>oops") if lost == "not json" else Reply(int(lost), b"gateway")
        if req.method == "GET" and "/image2video/rg-" in req.path and state["hide"]:
            return Reply(404, {"code": 1203, "message": "task not found"})
        return original(req)

    kling.dispatch = dispatch
    r = runner(*shot(runner))
    assert r.status == "failed" and "run again in a minute" in r.errors["g"]
    with sqlite3.connect(runner.tmp / "cache" / "jobs.sqlite") as db:
        assert db.execute("SELECT state FROM jobs").fetchall() == [("submitting",)]
    state["hide"] = False  # now Kling shows it
    r = runner(*shot(runner))
    assert r.status == "ok", r.errors
    assert len(kling.tasks) == 1  # one paid task, whatever happened


def test_framing_alone_is_not_a_camera_move(kling, runner):
    """Found by the attack on issue 15: a framed still was sent as a camera path, which most models refuse."""
    nodes, links = shot(runner)
    nodes[2][2]["frame_scale"] = 1.2
    nodes[2][2]["frame_y"] = 0.3
    r = runner(nodes, links)
    assert r.status == "ok", r.errors
    assert "camera_control" not in kling.bodies[0]
