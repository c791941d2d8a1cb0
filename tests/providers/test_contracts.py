"""Contract tests: for every request Reelgraph sends to a provider, the provider's official SDK
sends the equivalent call to the same capture server (real HTTP on 127.0.0.1) and the two
requests must match: method, path, auth and version headers, JSON field names, types and values
(multipart field names for uploads). Answers are parsed by the SDK's own response models and by
Reelgraph, and must say the same thing. The SDKs are pinned in the dev extra: an SDK upgrade
that changes a request fails here.

Kling has no SDK: its requests are checked against the request examples of its API reference
(tests/providers/kling_reference.json, each with its URL).

SDK versions checked (2026-11-24): runwayml 5.24.0, lumaai 1.21.0, fal-client 1.0.3,
replicate 1.0.7, google-genai 3.6.1, syncsdk 0.3.0.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from app.core.context import CancelToken
from app.media.camera import CameraPath, preset_keyframes
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.hosted import data_uri
from app.providers.journal import Job
from tests.providers.capture import CaptureServer, shape
from tests.ui.conftest import ROOT

KEY = "contract-key-0123"
PROMPT = {
    "text": "a cup of espresso on a wooden table, steam rising",
    "negative": "text, watermark",
}
MEDIA = ROOT / "resources" / "media"


@pytest.fixture
def cap(monkeypatch, tmp_path):
    server = CaptureServer()
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    for var in (
        "RUNWAYML_API_SECRET",
        "RUNWAYML_BASE_URL",
        "LUMAAI_API_KEY",
        "LUMAAI_BASE_URL",
        "FAL_KEY",
        "REPLICATE_API_TOKEN",
        "REPLICATE_BASE_URL",
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "SYNC_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.close()


def use(monkeypatch, backend: str, url: str) -> None:
    monkeypatch.setenv(f"REELGRAPH_{backend.upper()}_BASE_URL", url)
    monkeypatch.setenv(f"REELGRAPH_{backend.upper()}_API_KEY", KEY)


def request(
    tmp_path: Path,
    model: str,
    *,
    duration: float = 5,
    width: int = 1280,
    height: int = 720,
    end: bool = False,
    camera=None,
    mode: str = "",
    **kw,
) -> GenerateRequest:
    image = tmp_path / "start.png"
    shutil.copy(MEDIA / "coffee.png", image)
    last = tmp_path / "last.png"
    if end:
        shutil.copy(MEDIA / "chelsea.png", last)
    return GenerateRequest(
        prompt=dict(PROMPT),
        image=image,
        end_image=last if end else None,
        motion=None,
        camera=camera,
        duration=duration,
        fps=24,
        width=width,
        height=height,
        seed=11,
        takes=1,
        model=model,
        mode=mode,
        **kw,
    )


def job(tmp_path: Path) -> GenerateJob:
    return GenerateJob(
        work_dir=tmp_path, cancel=CancelToken(), progress=lambda *a: None, key="k" * 64
    )


def submit(backend, req: GenerateRequest, tmp_path: Path):
    """What Reelgraph sends for one take: translate, prepare, submit (the shared loop's steps)."""
    gj = job(tmp_path)
    backend.refuse(req)
    body = backend.translate(req, gj)
    http = backend.http(gj)
    body = backend.body_for_take(backend.prepare(http, body, gj), req, 1)
    j = Job("k#take1", backend.name, req.model, "rg-contract", None, {}, "submitting", "", [])
    provider_id, urls = backend.submit(http, body, j)
    return http, Job(
        "k#take1", backend.name, req.model, "rg-contract", provider_id, urls, "submitted", "", []
    )


def same(ours, theirs, headers: tuple[str, ...], *, query: bool = True) -> None:
    assert (ours.method, ours.path) == (theirs.method, theirs.path)
    if query:
        assert ours.query == theirs.query
    for h in headers:
        assert ours.headers.get(h) == theirs.headers.get(h), h
    if theirs.body and "json" in theirs.headers.get("content-type", ""):
        assert shape(ours.json()) == shape(theirs.json())
        assert ours.json() == theirs.json()
    else:
        assert not ours.body or ours.body == theirs.body


# -- Runway (runwayml) -----------------------------------------------------------------------------------


@pytest.fixture
def runway(cap, monkeypatch):
    from runwayml import RunwayML

    use(monkeypatch, "runway", cap.url)
    return RunwayML(api_key=KEY, base_url=cap.url, max_retries=0)


def test_runway_submit_start_frame_matches_the_sdk(cap, runway, tmp_path):
    from runwayml.types import ImageToVideoCreateResponse

    from app.providers.hosted import RunwayBackend

    cap.route(
        "POST",
        "/v1/image_to_video",
        (
            200,
            ImageToVideoCreateResponse.model_validate(
                {"id": "task-1", "estimatedCost": {"credits": 25}}
            ).model_dump(mode="json", by_alias=True),
        ),
    )
    req = request(tmp_path, "gen4_turbo")
    _, j = submit(RunwayBackend(), req, tmp_path)
    assert j.provider_id == "task-1"
    [ours] = cap.take()
    created = runway.image_to_video.create(
        model="gen4_turbo",
        prompt_image=data_uri(req.image),
        ratio="1280:720",
        duration=5,
        prompt_text=PROMPT["text"],
        seed=11,
    )
    [theirs] = cap.take()
    assert created.id == "task-1"
    same(ours, theirs, ("authorization", "x-runway-version", "content-type"))


def test_runway_submit_first_and_last_frame_matches_the_sdk(cap, runway, tmp_path):
    from app.providers.hosted import RunwayBackend

    cap.route("POST", "/v1/image_to_video", (200, {"id": "task-2"}))
    req = request(tmp_path, "veo3.1", duration=8, width=1920, height=1080, end=True)
    submit(RunwayBackend(), req, tmp_path)
    [ours] = cap.take()
    runway.image_to_video.create(
        model="veo3.1",
        ratio="1920:1080",
        duration=8,
        prompt_text=PROMPT["text"],
        seed=11,
        negative_prompt=PROMPT["negative"],
        prompt_image=[
            {"uri": data_uri(req.image), "position": "first"},
            {"uri": data_uri(req.end_image), "position": "last"},
        ],
    )
    [theirs] = cap.take()
    same(ours, theirs, ("authorization", "x-runway-version"))


def test_runway_poll_cancel_and_upscale_match_the_sdk(cap, runway, tmp_path):
    from runwayml.types.task_retrieve_response import Running, Succeeded

    from app.providers.hosted import RunwayBackend, RunwayUpscale

    done = Succeeded.model_validate(
        {
            "id": "task-3",
            "status": "SUCCEEDED",
            "createdAt": "2026-11-24T10:00:00Z",
            "cost": {"credits": 25},
            "output": [f"{cap.url}/out.mp4"],
        }
    ).model_dump(mode="json", by_alias=True)
    running = Running.model_validate(
        {
            "id": "task-4",
            "status": "RUNNING",
            "createdAt": "2026-11-24T10:00:00Z",
            "estimatedCost": {"credits": 25},
            "progress": 0.4,
        }
    ).model_dump(mode="json", by_alias=True)
    cap.route("GET", "/v1/tasks/task-3", (200, done))
    cap.route("GET", "/v1/tasks/task-4", (200, running))
    cap.route("DELETE", "/v1/tasks/task-4", (204, None))
    backend = RunwayBackend()
    http = backend.http(job(tmp_path))
    j = Job("k", "runway", "gen4_turbo", "c", "task-3", {}, "submitted", "", [])
    st = backend.status(http, j)
    running_st = backend.status(
        http, Job("k", "runway", "gen4_turbo", "c", "task-4", {}, "submitted", "", [])
    )
    backend.cancel(http, Job("k", "runway", "gen4_turbo", "c", "task-4", {}, "submitted", "", []))
    ours = cap.take()
    sdk_done = runway.tasks.retrieve("task-3")
    sdk_running = runway.tasks.retrieve("task-4")
    runway.tasks.delete("task-4")
    theirs = cap.take()
    for a, b in zip(ours, theirs, strict=True):
        same(a, b, ("authorization", "x-runway-version"))
    assert (st.state, st.outputs) == ("done", sdk_done.output)
    assert (running_st.state, running_st.progress) == ("running", sdk_running.progress)
    # video upscale
    cap.route("POST", "/v1/video_upscale", (200, {"id": "up-1"}))
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(200))
    req = GenerateRequest(
        prompt={},
        image=None,
        end_image=None,
        motion=None,
        camera=None,
        duration=2,
        fps=24,
        width=320,
        height=180,
        seed=0,
        takes=1,
        model="magnific_video_upscaler_creative",
        extra={"video": video},
    )
    submit(RunwayUpscale(), req, tmp_path)
    [ours] = cap.take()
    runway.video_upscale.create(
        model="magnific_video_upscaler_creative",
        video_uri="data:video/mp4;base64," + base64.b64encode(video.read_bytes()).decode(),
    )
    [theirs] = cap.take()
    same(ours, theirs, ("authorization", "x-runway-version"))


# -- Luma (lumaai) ---------------------------------------------------------------------------------------


def test_luma_submit_concepts_poll_and_cancel_match_the_sdk(cap, monkeypatch, tmp_path):
    from lumaai import LumaAI
    from lumaai.types import Generation

    from app.providers.hosted import LumaBackend

    base = cap.url + "/dream-machine/v1"
    use(monkeypatch, "luma", base)
    luma = LumaAI(auth_token=KEY, base_url=base, max_retries=0)
    concepts = ["static", "pan_left", "truck_left", "zoom_in"]
    cap.route("GET", "/dream-machine/v1/generations/concepts/list", (200, concepts))
    created = Generation(id="gen-1", state="queued", generation_type="video").model_dump(
        mode="json"
    )
    cap.route("POST", "/dream-machine/v1/generations/video", (201, created))
    done = Generation(
        id="gen-1", state="completed", assets={"video": f"{cap.url}/gen-1.mp4"}
    ).model_dump(mode="json")
    cap.route("GET", "/dream-machine/v1/generations/gen-1", (200, done))
    cap.route("DELETE", "/dream-machine/v1/generations/gen-1", (204, None))
    first, last = "https://cdn.example.com/first.png", "https://cdn.example.com/last.png"
    req = request(
        tmp_path,
        "ray-2",
        end=True,
        camera=CameraPath(keyframes=preset_keyframes("truck_left")),
        image_url=first,
        end_image_url=last,
    )
    backend = LumaBackend()
    http, j = submit(backend, req, tmp_path)
    st = backend.status(http, j)
    backend.cancel(http, j)
    ours = cap.take()
    listed = luma.generations.concepts.list()
    luma.generations.create(
        model="ray-2",
        prompt=PROMPT["text"],
        aspect_ratio="16:9",
        duration="5s",
        resolution="720p",
        concepts=[{"key": "truck_left"}],
        keyframes={
            "frame0": {"type": "image", "url": first},
            "frame1": {"type": "image", "url": last},
        },
    )
    got = luma.generations.get("gen-1")
    luma.generations.delete("gen-1")
    theirs = cap.take()
    assert [r.path.rsplit("/", 1)[-1] for r in ours] == ["list", "video", "gen-1", "gen-1"]
    for a, b in zip(ours, theirs, strict=True):
        same(a, b, ("authorization",))
    assert listed == concepts and st.outputs == [got.assets.video] and st.state == "done"


# -- fal (fal-client) ------------------------------------------------------------------------------------


def test_fal_queue_submit_status_result_cancel_match_the_sdk(cap, monkeypatch, tmp_path):
    import fal_client
    import fal_client.client as fc

    from app.providers.generic import FalBackend

    monkeypatch.setattr(fc, "QUEUE_URL_FORMAT", cap.url + "/")
    use(monkeypatch, "fal", cap.url)
    endpoint = "fal-ai/kling-video/v2.1/standard/image-to-video"
    urls = {
        k: f"{cap.url}/fal-ai/kling-video/requests/req-1{suffix}"
        for k, suffix in (
            ("status_url", "/status"),
            ("response_url", ""),
            ("cancel_url", "/cancel"),
        )
    }
    cap.route("POST", "/" + endpoint, (200, {"request_id": "req-1", **urls}))
    cap.route(
        "GET",
        "/fal-ai/kling-video/requests/req-1/status",
        (200, {"status": "COMPLETED", "logs": [], "metrics": {}}),
    )
    result = {"video": {"url": f"{cap.url}/v.mp4", "content_type": "video/mp4"}, "seed": 11}
    cap.route("GET", "/fal-ai/kling-video/requests/req-1", (200, result))
    cap.route(
        "PUT",
        "/fal-ai/kling-video/requests/req-1/cancel",
        (202, {"status": "CANCELLATION_REQUESTED"}),
    )
    req = request(tmp_path, endpoint)
    backend = FalBackend()
    http, j = submit(backend, req, tmp_path)
    st = backend.status(http, j)
    backend.cancel(http, j)
    ours = cap.take()
    sent = json.loads(ours[0].body)
    handle = fal_client.SyncClient(key=KEY).submit(endpoint, arguments=sent)
    status = handle.status()
    got = handle.get()
    handle.cancel()
    theirs = [r for r in cap.take()]
    # the SDK asks for logs (an optional query flag) and polls status before the result
    theirs = [theirs[0], theirs[1], theirs[-2], theirs[-1]]
    for a, b in zip(ours, theirs, strict=True):
        same(a, b, ("authorization", "content-type"), query=False)
    assert isinstance(status, fal_client.Completed) and st.outputs == [got["video"]["url"]]
    assert base64.b64decode(sent["image_url"].split(",", 1)[1]) == req.image.read_bytes()


# -- Replicate (replicate) -------------------------------------------------------------------------------


def test_replicate_predictions_match_the_sdk(cap, monkeypatch, tmp_path):
    import replicate
    from replicate.prediction import Prediction

    from app.providers.generic import ReplicateBackend

    use(monkeypatch, "replicate", cap.url)
    client = replicate.Client(api_token=KEY, base_url=cap.url)
    version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

    def prediction(status: str, output=None) -> dict:
        return Prediction(
            id="p-1",
            model="acme/video",
            version=version,
            status=status,
            output=output,
            urls={
                "get": f"{cap.url}/v1/predictions/p-1",
                "cancel": f"{cap.url}/v1/predictions/p-1/cancel",
            },
        ).dict()

    cap.route("POST", "/v1/models/acme/video/predictions", (201, prediction("starting")))
    cap.route("POST", "/v1/predictions", (201, prediction("starting")))
    cap.route("GET", "/v1/predictions/p-1", (200, prediction("succeeded", f"{cap.url}/out.mp4")))
    cap.route("POST", "/v1/predictions/p-1/cancel", (200, prediction("canceled")))
    backend = ReplicateBackend()
    http, j = submit(backend, request(tmp_path, "acme/video"), tmp_path)
    st = backend.status(http, j)
    backend.cancel(http, j)
    submit(backend, request(tmp_path, f"acme/video:{version}"), tmp_path)
    ours = cap.take()
    sent = json.loads(ours[0].body)["input"]
    client.predictions.create(model="acme/video", input=sent)
    got = client.predictions.get("p-1")
    client.predictions.cancel("p-1")
    client.predictions.create(version=version, input=sent)
    theirs = cap.take()
    for a, b in zip(ours, theirs, strict=True):
        same(a, b, ("authorization",))
    assert st.state == "done" and st.outputs == [got.output]


# -- Google Veo (google-genai) ----------------------------------------------------------------------------


def test_veo_submit_and_poll_match_google_genai(cap, monkeypatch, tmp_path):
    from google import genai
    from google.genai import types

    from app.providers.hosted import VeoBackend

    use(monkeypatch, "veo", cap.url)
    op = "projects/p1/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/op-1"
    video = b"\0\0\0\x18ftypmp42-veo-result"
    cap.route(
        "POST",
        r"/v1beta1/publishers/google/models/veo-3.1-generate-001:predictLongRunning",
        (200, {"name": op}),
    )
    cap.route(
        "POST",
        r"/v1beta1/projects/p1/locations/us-central1/publishers/google/models/"
        r"veo-3.1-generate-001:fetchPredictOperation",
        (
            200,
            {
                "name": op,
                "done": True,
                "response": {
                    "videos": [
                        {
                            "bytesBase64Encoded": base64.b64encode(video).decode(),
                            "mimeType": "video/mp4",
                        }
                    ]
                },
            },
        ),
    )
    req = request(tmp_path, "veo-3.1-generate-001", duration=8, end=True)
    backend = VeoBackend()
    http, j = submit(backend, req, tmp_path)
    st = backend.status(http, j)
    backend.fetch(http, j, st.outputs[0], tmp_path / "out.mp4", None)
    ours = cap.take()
    client = genai.Client(
        vertexai=True, api_key=KEY, http_options=types.HttpOptions(base_url=cap.url)
    )
    image = types.Image(image_bytes=req.image.read_bytes(), mime_type="image/png")
    last = types.Image(image_bytes=req.end_image.read_bytes(), mime_type="image/png")
    operation = client.models.generate_videos(
        model="veo-3.1-generate-001",
        source=types.GenerateVideosSource(prompt=PROMPT["text"], image=image),
        config=types.GenerateVideosConfig(
            number_of_videos=1,
            duration_seconds=8,
            aspect_ratio="16:9",
            resolution="720p",
            negative_prompt=PROMPT["negative"],
            seed=11,
            generate_audio=True,
            last_frame=last,
        ),
    )
    finished = client.operations.get(operation)
    theirs = cap.take()
    for a, b in zip(ours, theirs, strict=True):
        same(a, b, ("x-goog-api-key", "content-type"))
    assert finished.done and finished.response.generated_videos[0].video.video_bytes == video
    assert (tmp_path / "out.mp4").read_bytes() == video and operation.name == j.provider_id


def test_google_genai_refuses_veo_with_a_gemini_api_key():
    """Why the Veo backend speaks Agent Platform: google-genai 3.x no longer sends video
    generation to the Gemini API with an API key (nothing is sent)."""
    from google import genai
    from google.genai import types

    client = genai.Client(api_key=KEY, http_options={"base_url": "http://127.0.0.1:9"})
    with pytest.raises(ValueError, match="only supported in Gemini Enterprise Agent Platform mode"):
        client.models.generate_videos(
            model="veo-3.1-generate-preview", source=types.GenerateVideosSource(prompt="x")
        )


# -- sync.so (syncsdk) -----------------------------------------------------------------------------------


def test_sync_create_with_files_and_get_match_syncsdk(cap, monkeypatch, tmp_path):
    from sync import Sync
    from sync.common.types import Generation

    from app.providers.lipsync_remote import SyncBackend, idempotency_key

    use(monkeypatch, "sync", cap.url)
    gen = Generation(
        id="g-1",
        created_at="2026-11-24T10:00:00Z",
        status="COMPLETED",
        model="lipsync-2",
        input=[],
        output_url=f"{cap.url}/out.mp4",
    ).dict(by_alias=True)
    gen["createdAt"] = "2026-11-24T10:00:00Z"
    cap.route("POST", "/v2/generate", (201, {**gen, "status": "PENDING"}))
    cap.route("GET", "/v2/generate/g-1", (200, gen))
    video, audio = tmp_path / "talk.mp4", tmp_path / "speech.wav"
    video.write_bytes(b"video-bytes")
    shutil.copy(MEDIA / "speech_en.wav", audio)
    req = GenerateRequest(
        prompt={},
        image=None,
        end_image=None,
        motion=None,
        camera=None,
        duration=2,
        fps=24,
        width=320,
        height=180,
        seed=0,
        takes=1,
        model="lipsync-2",
        extra={"video": video, "audio": audio, "sync_mode": "cut_off"},
    )
    backend = SyncBackend()
    http, j = submit(backend, req, tmp_path)
    st = backend.status(http, j)
    ours = cap.take()
    client = Sync(api_key=KEY, base_url=cap.url)
    client.generations.create_with_files(
        model="lipsync-2",
        video=(video.name, video.read_bytes(), "video/mp4"),
        audio=(audio.name, audio.read_bytes(), "audio/wav"),
        options=json.dumps({"sync_mode": "cut_off"}),
    )
    got = client.generations.get("g-1")
    theirs = cap.take()
    (o_post, o_get), (t_post, t_get) = ours, theirs
    assert (o_post.method, o_post.path) == (t_post.method, t_post.path) == ("POST", "/v2/generate")
    assert o_post.headers["x-api-key"] == t_post.headers["x-api-key"] == KEY
    assert o_post.headers["content-type"].startswith("multipart/form-data")
    mine, sdk = o_post.multipart(), t_post.multipart()
    assert set(mine) == set(sdk) == {"model", "options", "video", "audio"}
    for name in mine:
        assert mine[name] == sdk[name], name  # same file names, same bytes, same text fields
    # what the SDK cannot send but the API documents: a resend is never a second generation
    assert o_post.headers["idempotency-key"] == idempotency_key("k#take1", "rg-contract")
    same(o_get, t_get, ("x-api-key",))
    assert st.state == "done" and st.outputs == [got.output_url]


# -- Kling (no SDK: the API reference's request examples) --------------------------------------------------


def kling_reference() -> dict:
    return json.loads((Path(__file__).parent / "kling_reference.json").read_text())


def test_kling_requests_match_the_api_reference_examples(cap, monkeypatch, tmp_path):
    from app.providers.kling import KlingBackend
    from app.providers.lipsync_remote import KlingLipSync

    ref = kling_reference()
    monkeypatch.setenv("REELGRAPH_KLING_BASE_URL", cap.url)
    monkeypatch.setenv("REELGRAPH_KLING_ACCESS_KEY", "ak")
    monkeypatch.setenv("REELGRAPH_KLING_SECRET_KEY", "sk")
    ok = {"code": 0, "message": "SUCCEED", "request_id": "r"}
    cap.route(
        "POST",
        "/v1/videos/image2video",
        (200, {**ok, "data": {"task_id": "t1", "task_status": "submitted"}}),
    )
    cap.route(
        "GET",
        "/v1/videos/image2video/t1",
        (
            200,
            {
                **ok,
                "data": {
                    "task_id": "t1",
                    "task_status": "succeed",
                    "task_result": {"videos": [{"id": "v1", "url": "u", "duration": "5"}]},
                },
            },
        ),
    )
    cap.route(
        "POST",
        "/v1/videos/identify-face",
        (
            200,
            {
                **ok,
                "data": {
                    "session_id": "s1",
                    "face_data": [
                        {"face_id": "0", "face_image": "u", "start_time": 0, "end_time": 5000}
                    ],
                },
            },
        ),
    )
    cap.route(
        "POST",
        "/v1/videos/advanced-lip-sync",
        (200, {**ok, "data": {"task_id": "l1", "task_status": "submitted"}}),
    )
    cases = [
        (
            "image2video_camera",
            request(
                tmp_path,
                "kling-v1-5",
                mode="pro",
                camera=CameraPath(keyframes=preset_keyframes("zoom_in")),
            ),
        ),
        ("image2video_end_frame", request(tmp_path, "kling-v2-1", mode="pro", end=True)),
    ]
    for name, req in cases:
        http, j = submit(KlingBackend(), req, tmp_path)
        example = ref[name]
        [ours] = cap.take()
        assert (ours.method, ours.path) == (example["method"], example["path"]), name
        body, doc = ours.json(), example["body"]
        assert set(body) <= set(example["fields"]), set(body) - set(example["fields"])
        for field, value in body.items():
            if field in doc:
                assert type(value) is type(doc[field]), field
        assert (
            shape(body.get("camera_control")) == shape(doc.get("camera_control"))
            or name != "image2video_camera"
        )
        assert ours.headers["authorization"].startswith("Bearer ")
    # poll by task id, look up by external_task_id: the same documented path
    KlingBackend().status(http, j)
    [poll] = cap.take()
    assert (poll.method, poll.path) == ("GET", "/v1/videos/image2video/t1")
    # lip-sync: identify-face, then advanced-lip-sync
    audio = tmp_path / "speech.wav"
    shutil.copy(MEDIA / "speech_en.wav", audio)
    req = GenerateRequest(
        prompt={},
        image=None,
        end_image=None,
        motion=None,
        camera=None,
        duration=5,
        fps=24,
        width=1280,
        height=720,
        seed=0,
        takes=1,
        model="advanced-lip-sync",
        extra={"video": tmp_path / "v.mp4", "audio": audio, "kling_video_id": "v1"},
    )
    submit(KlingLipSync(), req, tmp_path)
    identify, lipsync = cap.take()
    for got, name in ((identify, "identify_face"), (lipsync, "advanced_lip_sync")):
        example = ref[name]
        assert (got.method, got.path) == (example["method"], example["path"]), name
        assert shape(got.json()) == shape(example["body"]), name
