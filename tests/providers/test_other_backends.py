"""Runway, Luma, Veo, fal, Replicate and ComfyUI against real HTTP fakes on 127.0.0.1: the
documented request shapes, each provider's polling and result conventions, cancel, failures."""

import base64
import re
import shutil
import threading
import time

import pytest

from app.media.masks import png_size
from tests.providers.fakes import FakeFal, FakeLuma, FakeReplicate, FakeRunway, FakeVeo
from tests.ui.conftest import ROOT


def shot(
    runner, backend, model, *, duration=5, takes=1, camera=None, end=False, width=1280, height=720
):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", runner.tmp / "coffee.png")
    nodes = [
        ("p", "prompt", {"subject": "espresso", "negative": "text"}),
        ("i", "reference_image", {"path": "coffee.png"}),
        (
            "g",
            "generator",
            {
                "backend": backend,
                "model": model,
                "duration": duration,
                "takes": takes,
                "width": width,
                "height": height,
                "seed": 11,
            },
        ),
    ]
    links = [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image")]
    if camera:
        nodes.append(("c", "camera_path", camera))
        links.append(("c", "camera", "g", "camera"))
    if end:
        links.append(("i", "image", "g", "end_image"))
    return nodes, links


def test_runway_body_throttled_polling_and_seeds(backend_env, result_video, runner, monkeypatch):
    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        r = runner(*shot(runner, "runway", "gen4_turbo", takes=2, width=1920, height=1080))
        assert r.status == "ok", r.errors
        a, b = server.bodies
        assert a["model"] == "gen4_turbo" and a["ratio"] == "1280:720" and a["duration"] == 5
        assert a["promptImage"].startswith(
            "data:image/png;base64,"
        )  # gen4_turbo: the start frame only
        assert (a["seed"], b["seed"]) == (11, 12)  # one seed per take
        assert "espresso" in a["promptText"].lower() and "negativePrompt" not in a
        assert server.count("GET", "/v1/tasks/") == 6  # THROTTLED counted as waiting, not an error
        assert r.outputs["g"]["video"].path.read_bytes() == result_video.read_bytes()
        assert any("nearest" in n for n in r.outputs["g"]["video"].meta["notes"])


def test_runway_end_frame_only_where_the_model_takes_last(
    backend_env, result_video, runner, monkeypatch
):
    from app.core.errors import WorkflowError

    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        with pytest.raises(
            WorkflowError,
            match=re.escape(
                "Runway gen4_turbo cannot take an end frame; Runway models "
                "that can: veo3.1 (4/6/8 s), veo3.1_fast (4/6/8 s)"
            ),
        ):
            runner(*shot(runner, "runway", "gen4_turbo", end=True))
        assert server.requests == []
        r = runner(*shot(runner, "runway", "veo3.1", end=True, duration=8, width=1920, height=1080))
        assert r.status == "ok", r.errors
        [body] = server.bodies
        assert [p["position"] for p in body["promptImage"]] == ["first", "last"]
        assert (
            body["ratio"] == "1920:1080"
            and body["duration"] == 8
            and body["negativePrompt"] == "text"
        )


def test_runway_min_poll_interval_is_respected(monkeypatch):
    from app.providers.hosted import RunwayBackend

    monkeypatch.setenv("REELGRAPH_POLL_INTERVAL", "0.01")
    assert RunwayBackend().interval == 5.0


def test_runway_safety_failure_and_cancel(backend_env, result_video, runner, monkeypatch):
    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        server.outcome = {"fail": "the image was flagged"}
        r = runner(*shot(runner, "runway", "gen4_turbo"))
        assert (
            r.status == "failed"
            and "content moderation" in r.errors["g"]
            and "flagged" in r.errors["g"]
        )
        # cancel a run mid-job: the provider task is cancelled too
        server.polls_to_finish = 10_000
        from app.core.context import CancelToken

        token = CancelToken()
        submitted = server.count("POST", "/v1/image_to_video")

        def cancel_once_submitted() -> None:  # not before the task exists, however slow the machine
            deadline = time.monotonic() + 60
            while (
                server.count("POST", "/v1/image_to_video") == submitted
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            time.sleep(0.3)
            token.cancel()

        threading.Thread(target=cancel_once_submitted, daemon=True).start()
        nodes, links = shot(runner, "runway", "gen4_turbo", duration=10)
        import json as _json

        from app.core.workflow import Workflow

        doc = {
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
        }
        res = runner.ex.run(
            Workflow.model_validate(_json.loads(_json.dumps(doc))),
            base_dir=runner.tmp,
            out_dir=runner.tmp / "renders",
            cancel=token,
        )
        assert res.status == "cancelled"
        assert server.count("DELETE", "/v1/tasks/") == 1


def test_luma_maps_the_camera_to_the_nearest_concept(backend_env, result_video, runner):
    with FakeLuma(result_video) as server:
        backend_env("luma", server)
        # Luma fetches keyframes by URL: without one, refused before any request, saying what to do
        r = runner(
            *shot(
                runner,
                "luma",
                "ray-2",
                camera={"preset": "truck_left"},
                end=True,
                width=1080,
                height=1920,
            )
        )
        assert r.status == "failed" and "paste its https URL into the 'url' field" in r.errors["g"]
        assert server.requests == []
        nodes, links = shot(
            runner,
            "luma",
            "ray-2",
            camera={"preset": "truck_left"},
            end=True,
            width=1080,
            height=1920,
        )
        nodes[1][2]["url"] = "https://cdn.example.com/coffee.png"
        r = runner(nodes, links)
        assert r.status == "ok", r.errors
        [body] = server.bodies
        assert body["concepts"] == [{"key": "truck_left"}]
        assert (
            body["aspect_ratio"] == "9:16"
            and body["duration"] == "5s"
            and body["resolution"] == "720p"
        )
        url = {"type": "image", "url": "https://cdn.example.com/coffee.png"}
        assert body["keyframes"] == {"frame0": url, "frame1": url}
        assert any(
            "approximated by Luma's 'truck_left'" in n
            for n in r.outputs["g"]["video"].meta["notes"]
        )


def test_veo_long_running_operation_inline_result_and_filtered(backend_env, result_video, runner):
    with FakeVeo(result_video) as server:
        backend_env("veo", server, key=FakeVeo.KEY)
        r = runner(*shot(runner, "veo", "veo-3.1-generate-001", duration=8, takes=2))
        assert r.status == "ok", r.errors
        a, b = server.bodies
        inst = a["instances"][0]
        sent = base64.b64decode(inst["image"]["bytesBase64Encoded"])
        assert sent[:8] == b"\x89PNG\r\n\x1a\n" and png_size(sent) == (
            1280,
            720,
        )  # framed at 16:9, 720p
        assert a["parameters"] == {
            "sampleCount": 1,
            "durationSeconds": 8,
            "aspectRatio": "16:9",
            "resolution": "720p",
            "negativePrompt": "text",
            "seed": 11,
            "generateAudio": True,
        }
        assert b["parameters"]["seed"] == 12
        assert r.outputs["g"]["video"].path.read_bytes() == result_video.read_bytes()
        server.outcome = {"filtered": "The video may depict a real person"}
        r = runner(*shot(runner, "veo", "veo-3.1-generate-001", duration=6))
        assert (
            r.status == "failed"
            and "safety filters" in r.errors["g"]
            and "real person" in r.errors["g"]
        )


def test_fal_uses_the_urls_it_returns_and_the_template(
    backend_env, result_video, runner, tmp_path, monkeypatch
):
    from app.providers.settings import load_settings, save_settings

    save_settings(
        dict(
            load_settings(),
            templates={
                "fal": {
                    "fal-ai/some-video/i2v": {
                        "prompt": "{{prompt}} | avoid {{negative}}",
                        "image_url": "{{image}}",
                        "num_frames": "{{frames}}",
                        "seed": "{{seed}}",
                    }
                }
            },
        )
    )
    with FakeFal(result_video) as server:
        backend_env("fal", server)
        r = runner(*shot(runner, "fal", "fal-ai/some-video/i2v", takes=2, duration=2))
        assert r.status == "ok", r.errors
        a, b = server.bodies
        assert a["endpoint"] == "fal-ai/some-video/i2v"
        assert a["input"]["prompt"].endswith("| avoid text") and a["input"]["num_frames"] == 48
        assert a["input"]["image_url"].startswith("data:image/png;base64,")
        assert (a["input"]["seed"], b["input"]["seed"]) == (11, 12)
        assert server.count("GET", "/requests-elsewhere/") >= 4
        assert r.outputs["g"]["video"].path.read_bytes() == result_video.read_bytes()


def test_template_that_ignores_an_input_is_refused_before_submitting(
    backend_env, result_video, runner
):
    from app.core.errors import WorkflowError
    from app.providers.settings import load_settings, save_settings

    save_settings(
        dict(load_settings(), templates={"fal": {"fal-ai/t2v": {"prompt": "{{prompt}}"}}})
    )
    with FakeFal(result_video) as server:
        backend_env("fal", server)
        with pytest.raises(WorkflowError, match="the image would be ignored"):
            runner(*shot(runner, "fal", "fal-ai/t2v"))
        assert server.requests == []


def test_replicate_model_predictions(backend_env, result_video, runner):
    with FakeReplicate(result_video) as server:
        backend_env("replicate", server)
        r = runner(*shot(runner, "replicate", "acme/video-model"))
        assert r.status == "ok", r.errors
        [body] = server.bodies
        assert body["model"] == "acme/video-model" and body["input"]["start_image"].startswith(
            "data:image/png"
        )
        assert body["input"]["duration"] == 5
        assert r.outputs["g"]["video"].path.read_bytes() == result_video.read_bytes()


def test_sync_lipsync_uploads_video_and_audio(backend_env, result_video, runner):
    from tests.providers.fakes import FakeSync

    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    shutil.copy(result_video, runner.tmp / "talk.mp4")
    with FakeSync(result_video) as server:
        backend_env("sync", server)
        nodes = [
            ("v", "load_video", {"path": "talk.mp4"}),
            ("a", "load_audio", {"path": "speech.wav"}),
            ("l", "lip_sync", {"backend": "sync", "model": "lipsync-2"}),
        ]
        links = [("v", "video", "l", "video"), ("a", "audio", "l", "audio")]
        r = runner(nodes, links)
        assert r.status == "ok", r.errors
        [body] = server.uploads
        assert r.outputs["a"]["audio"].path.read_bytes() in body  # the audio itself went up
        assert b'name="model"' in body and b"lipsync-2" in body and b"cut_off" in body
        assert server.bodies[0]["content_type"].startswith("multipart/form-data")
        key = server.bodies[0]["idempotency_key"]
        assert key.startswith("rg-") and len(key) <= 128
        assert r.outputs["l"]["video"].path.read_bytes() == result_video.read_bytes()
        assert r.outputs["l"]["video"].meta["backend"] == "sync"
        server.outcome = {"reject": "no face found"}
        nodes[2] = ("l", "lip_sync", {"backend": "sync", "model": "lipsync-2-pro"})
        r = runner(nodes, links)
        assert r.status == "failed" and "no face found" in r.errors["l"]


def test_runway_video_upscale(backend_env, result_video, runner, monkeypatch):
    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    shutil.copy(result_video, runner.tmp / "clip.mp4")
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        r = runner(
            [("v", "load_video", {"path": "clip.mp4"}), ("u", "upscale", {"backend": "runway"})],
            [("v", "video", "u", "media")],
        )
        assert r.status == "ok", r.errors
        [body] = server.bodies
        assert body["model"] == "magnific_video_upscaler_creative"
        assert (
            base64.b64decode(body["videoUri"].split(",", 1)[1])
            == r.outputs["v"]["video"].path.read_bytes()
        )
        assert r.outputs["u"]["media"].meta["backend"] == "runway"


@pytest.mark.parametrize(
    "name,fake,model,duration",
    [
        ("runway", FakeRunway, "gen4_turbo", 5),
        ("luma", FakeLuma, "ray-2", 5),
        ("veo", FakeVeo, "veo-3.1-generate-001", 8),
        ("fal", FakeFal, "fal-ai/x/i2v", 5),
        ("replicate", FakeReplicate, "acme/video", 5),
    ],
)
def test_every_backend_rides_out_rate_limits_and_server_errors(
    backend_env, result_video, runner, monkeypatch, name, fake, model, duration
):
    from tests.providers.fakes import Reply

    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with fake(result_video) as server:
        backend_env(name, server, key=FakeVeo.KEY if name == "veo" else "key-abc")
        submit = next(n for _, _, n, _ in server.routes if n == "submit")
        server.fault(
            submit,
            Reply(429, {"error": "slow down"}, {"retry-after-ms": "30"}),
            Reply(429, {"error": "overloaded, try later"}),
        )
        server.fault("poll", Reply(503, {"error": "busy"}), Reply(200, b"not json"))
        nodes, links = shot(runner, name, model, duration=duration)
        if name == "luma":
            nodes[1][2]["url"] = "https://cdn.example.com/coffee.png"
        r = runner(nodes, links)
        assert r.status == "ok", r.errors
        assert len(server.bodies) == 1  # no duplicate job
        assert r.outputs["g"]["video"].path.read_bytes() == result_video.read_bytes()


@pytest.mark.parametrize("status", [500, 503])
def test_a_submit_answered_500_or_503_is_never_sent_again(
    backend_env, result_video, runner, monkeypatch, status
):
    from tests.providers.fakes import Reply

    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        server.fault("submit", Reply(status, {"error": "internal"}))
        r = runner(*shot(runner, "runway", "gen4_turbo"))
        assert (
            r.status == "failed"
            and "may or may not exist" in r.errors["g"]
            and "jobs forget" in r.errors["g"]
        )
        assert server.count("POST", "/image_to_video") == 1
        r = runner(
            *shot(runner, "runway", "gen4_turbo")
        )  # the same node again: refused, not re-sent
        assert r.status == "failed" and server.count("POST", "/image_to_video") == 1


def test_jobs_list_and_forget(backend_env, result_video, runner, monkeypatch):
    import os
    import subprocess
    import sys

    from tests.providers.fakes import Reply

    monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
    with FakeRunway(result_video) as server:
        backend_env("runway", server)
        server.fault("submit", Reply(502, b"bad gateway"))
        r = runner(*shot(runner, "runway", "gen4_turbo"))
        assert r.status == "failed"
        env = dict(os.environ)
        cache = str(runner.tmp / "cache")
        listed = subprocess.run(
            [sys.executable, "-m", "app.cli", "jobs", "list", "--cache-dir", cache],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        ).stdout
        assert listed.startswith("submitting") and "runway" in listed
        key = listed.split()[-1]
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", "jobs", "forget", key, "--cache-dir", cache],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0 and "pays for it" in out.stdout
        r = runner(
            *shot(runner, "runway", "gen4_turbo")
        )  # the user checked the dashboard: submit anew
        assert r.status == "ok" and server.count("POST", "/image_to_video") == 2
