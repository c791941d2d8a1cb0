"""Runway, Luma and Google Veo (Gemini API): fixed-schema image-to-video providers.

Protocol facts: ../shared/guide/providers.md.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from app.core.errors import NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.http import Http
from app.providers.journal import Job
from app.providers.remote import Caps, RemoteBackend, Status, nearest_ratio


def data_uri(path) -> str:
    mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


# -- Runway -----------------------------------------------------------------------------------------------

RUNWAY_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
RUNWAY = Caps(end_image=True, camera="none", durations=(5.0, 10.0), ratios=RUNWAY_RATIOS, seed=True,
              image_required=True)


class RunwayBackend(RemoteBackend):
    name = "runway"
    title = "Runway"
    default_base = "https://api.dev.runwayml.com"
    poll_interval = 5.0
    MIN_POLL = 5.0  # Runway asks for no faster polling than this
    supports_cancel = True
    MODELS = {"gen4_turbo": RUNWAY, "gen4.5": RUNWAY}
    VERSION = "2024-11-06"

    @property
    def interval(self) -> float:
        return max(self.MIN_POLL, super().interval)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}", "X-Runway-Version": self.VERSION}

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        if req.image is None:
            raise NodeError("Runway image_to_video animates a start frame: connect an image", field="input 'image'")
        if req.motion is not None:
            raise NodeError("Runway has no motion brush", field="input 'motion'")
        if req.camera is not None and not req.camera.is_static():
            raise NodeError("Runway takes no camera control here; describe the move in the prompt",
                            field="input 'camera'")
        if req.duration not in (5.0, 10.0):
            raise NodeError(f"Runway makes 5 s or 10 s clips, not {req.duration:g} s", field="param 'duration'")
        ratio = nearest_ratio(req.width, req.height, RUNWAY_RATIOS)
        if ratio.replace(":", "x") != f"{req.width}x{req.height}":
            job.info.setdefault("notes", []).append(f"Runway renders {ratio.replace(':', 'x')} (nearest to "
                                                    f"{req.width}x{req.height})")
        image: Any = data_uri(req.image)
        if req.end_image is not None:
            image = [{"uri": image, "position": "first"}, {"uri": data_uri(req.end_image), "position": "last"}]
        return {"model": req.model, "promptImage": image, "promptText": (req.prompt.get("text") or "")[:1000],
                "ratio": ratio, "duration": int(req.duration), "seed": req.seed}

    def body_for_take(self, body: dict[str, Any], req: GenerateRequest, take: int) -> dict[str, Any]:
        return dict(body, seed=(req.seed + take - 1) % 4294967295)

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json("POST", "/v1/image_to_video", json=body, submit=True, classify=self.classify)
        return str(data["id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/v1/tasks/{job.provider_id}", classify=self.classify)
        st = data.get("status")
        if st == "SUCCEEDED":
            return Status("done", 1.0, "", list(data.get("output") or []))
        if st == "FAILED":
            code = data.get("failureCode") or ""
            why = data.get("failure") or "failed"
            if "SAFETY" in str(code).upper():
                why = f"Runway's content moderation refused it: {why}"
            return Status("failed", None, f"{why} ({code})" if code else why)
        if st == "CANCELLED":
            return Status("cancelled", None, "cancelled")
        # PENDING, THROTTLED (accepted, waiting for capacity: not an error), RUNNING
        return Status("running", data.get("progress"), st or "")

    def cancel(self, http: Http, job: Job) -> None:
        http.request("DELETE", f"/v1/tasks/{job.provider_id}", classify=self.classify)


# -- Luma -------------------------------------------------------------------------------------------------

LUMA_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
LUMA = Caps(end_image=True, camera="presets", durations=(5.0, 9.0), ratios=LUMA_RATIOS)
# what our camera path's dominant move is called, as words to find among Luma's concept keys
CONCEPT_WORDS = {("pan", 1): "pan right", ("pan", -1): "pan left", ("tilt", 1): "tilt up", ("tilt", -1): "tilt down",
                 ("zoom", 1): "zoom in", ("zoom", -1): "zoom out", ("truck", 1): "truck right",
                 ("truck", -1): "truck left", ("pedestal", 1): "pedestal up", ("pedestal", -1): "pedestal down",
                 ("roll", 1): "roll right", ("roll", -1): "roll left", ("dolly", 1): "push in",
                 ("dolly", -1): "pull out"}


def dominant_move(camera) -> tuple[str, int] | None:
    a, b = camera.sample(0.0), camera.sample(1.0)
    scale = {"pan": 20.0, "tilt": 20.0, "roll": 30.0, "truck": 0.5, "pedestal": 0.5, "dolly": 0.5}
    scores = {k: (b[k] - a[k]) / s for k, s in scale.items()}
    scores["zoom"] = math.log(b["zoom"] / a["zoom"]) / 0.5
    axis = max(scores, key=lambda k: abs(scores[k]))
    if abs(scores[axis]) < 0.01:
        return None
    return axis, 1 if scores[axis] > 0 else -1


class LumaBackend(RemoteBackend):
    name = "luma"
    title = "Luma"
    default_base = "https://api.lumalabs.ai/dream-machine/v1"
    poll_interval = 3.0
    supports_cancel = True
    MODELS = {"ray-2": LUMA, "ray-flash-2": LUMA}

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    def concept(self, http: Http, camera, job: GenerateJob) -> list[dict[str, str]]:
        """Our camera path as the nearest of Luma's camera concepts (and say what was lost)."""
        move = dominant_move(camera)
        if move is None:
            return []
        words = CONCEPT_WORDS[move]
        keys = [c.get("key") if isinstance(c, dict) else str(c)
                for c in http.json("GET", "/generations/concepts/list", classify=self.classify) or []]

        def score(key: str) -> int:
            k = key.replace("_", " ").lower()
            return sum(w in k for w in words.split())

        best = max(keys, key=score, default=None)
        if best is None or score(best) == 0:
            job.info.setdefault("notes", []).append(f"Luma has no camera concept for '{words}': left to the prompt")
            return []
        job.info.setdefault("notes", []).append(f"camera path approximated by Luma's '{best}' concept "
                                                "(Luma moves by named concepts, not keyframes)")
        return [{"key": best}]

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        if req.motion is not None:
            raise NodeError("Luma has no motion brush", field="input 'motion'")
        if req.duration not in (5.0, 9.0):
            raise NodeError(f"Luma makes 5 s or 9 s clips, not {req.duration:g} s", field="param 'duration'")
        body: dict[str, Any] = {"model": req.model, "prompt": req.prompt.get("text") or "",
                                "aspect_ratio": nearest_ratio(req.width, req.height, LUMA_RATIOS),
                                "duration": f"{int(req.duration)}s"}
        frames = {}
        # Luma documents image URLs; we send the image inline as a data URI (unverified upstream)
        if req.image is not None:
            frames["frame0"] = {"type": "image", "url": data_uri(req.image)}
        if req.end_image is not None:
            frames["frame1"] = {"type": "image", "url": data_uri(req.end_image)}
        if frames:
            body["keyframes"] = frames
        if req.camera is not None:
            body["_camera"] = req.camera  # resolved against the live concept list at submit
        return body

    def prepare(self, http: Http, body: dict[str, Any], job: GenerateJob) -> dict[str, Any]:
        body = dict(body)
        camera = body.pop("_camera", None)
        if camera is not None:
            concepts = self.concept(http, camera, job)
            if concepts:
                body["concepts"] = concepts
        return body

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json("POST", "/generations/video", json=body, submit=True, classify=self.classify)
        return str(data["id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/generations/{job.provider_id}", classify=self.classify)
        state = data.get("state")
        if state == "completed":
            video = (data.get("assets") or {}).get("video")
            return Status("done", 1.0, "", [video] if video else [])
        if state == "failed":
            return Status("failed", None, data.get("failure_reason") or "failed")
        return Status("running", None, state or "")

    def cancel(self, http: Http, job: Job) -> None:
        http.request("DELETE", f"/generations/{job.provider_id}", classify=self.classify)


# -- Google Veo (Gemini API) ---------------------------------------------------------------------------------

VEO_RATIOS = ("16:9", "9:16")
VEO = Caps(end_image=True, camera="none", durations=(4.0, 6.0, 8.0), ratios=VEO_RATIOS, audio=True)


class VeoBackend(RemoteBackend):
    name = "veo"
    title = "Veo"
    default_base = "https://generativelanguage.googleapis.com"
    poll_interval = 5.0
    MODELS = {"veo-3.1-generate-preview": VEO, "veo-3.1-fast-generate-preview": VEO}

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key()}

    def download_headers(self) -> dict[str, str]:
        return self.headers()  # Veo's files are fetched with the key

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        if req.motion is not None:
            raise NodeError("Veo has no motion brush", field="input 'motion'")
        if req.camera is not None and not req.camera.is_static():
            raise NodeError("Veo takes no camera control; describe the move in the prompt", field="input 'camera'")
        if req.duration not in (4.0, 6.0, 8.0):
            raise NodeError(f"Veo makes 4, 6 or 8 s clips, not {req.duration:g} s", field="param 'duration'")
        instance: dict[str, Any] = {"prompt": req.prompt.get("text") or ""}
        if req.image is not None:
            instance["image"] = {"bytesBase64Encoded": base64.b64encode(req.image.read_bytes()).decode(),
                                 "mimeType": "image/png"}
        if req.end_image is not None:
            instance["lastFrame"] = {"bytesBase64Encoded": base64.b64encode(req.end_image.read_bytes()).decode(),
                                     "mimeType": "image/png"}
        params: dict[str, Any] = {"sampleCount": 1, "durationSeconds": int(req.duration),
                                  "aspectRatio": nearest_ratio(req.width, req.height, VEO_RATIOS),
                                  "resolution": "1080p" if min(req.width, req.height) >= 1080 else "720p"}
        if req.prompt.get("negative"):
            params["negativePrompt"] = req.prompt["negative"]
        job.info.setdefault("notes", []).append("Veo takes no seed in this mode: takes differ at random")
        return {"instances": [instance], "parameters": params, "_model": req.model}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        body = dict(body)
        model = body.pop("_model")
        data = http.json("POST", f"/v1beta/models/{model}:predictLongRunning", json=body, submit=True,
                         classify=self.classify)
        return str(data["name"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/v1beta/{job.provider_id}", classify=self.classify)
        if not data.get("done"):
            return Status("running", None, "generating")
        if data.get("error"):
            err = data["error"]
            return Status("failed", None, f"{err.get('message', 'failed')} (code {err.get('code')})")
        resp = (data.get("response") or {}).get("generateVideoResponse") or {}
        samples = resp.get("generatedSamples") or []
        if not samples:
            reasons = "; ".join(resp.get("raiMediaFilteredReasons") or []) or "no video returned"
            return Status("failed", None, f"Veo's safety filters removed the result: {reasons}")
        return Status("done", 1.0, "", [s["video"]["uri"] for s in samples if s.get("video", {}).get("uri")])


class RunwayUpscale(RunwayBackend):
    """Runway's video upscale (the model name changes; keep it in params/settings)."""

    title = "Runway upscale"
    MODELS = {"upscale_v1": Caps(start_image=False, upscale=True)}
    MAX_INLINE = 16 * 2**20  # sent inline as a data URI (Runway documents https URLs and data URIs)

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        video = req.extra["video"]
        if video.stat().st_size > self.MAX_INLINE:
            raise NodeError(f"the video is {video.stat().st_size / 2**20:.0f} MB; Runway upscale takes up to 16 MB "
                            "inline", field="input 'media'", hint="upscale a shorter clip")
        uri = f"data:video/mp4;base64,{base64.b64encode(video.read_bytes()).decode('ascii')}"
        return {"model": req.model, "videoUri": uri}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json("POST", "/v1/video_upscale", json=body, submit=True, classify=self.classify)
        return str(data["id"]), {}

    def check_upscale(self, model: str) -> list[tuple[str | None, str]]:
        return [] if self.key() is not None else [("param 'backend'", "no Runway key: `reelgraph keys set runway`")]


UPSCALE_BACKENDS = {"runway": RunwayUpscale()}
