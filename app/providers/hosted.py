"""Runway, Luma and Google Veo: fixed-schema image-to-video providers.

What each model takes comes from the catalog (resources/models.json); the request shapes are
checked against the providers' official SDKs in tests/providers/test_contracts.py.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from app.core.errors import NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import Mode
from app.providers.http import Http, ProviderError
from app.providers.journal import Job
from app.providers.remote import RemoteBackend, Status, nearest_ratio


def data_uri(path) -> str:
    mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def sized_data_uri(path, what: str, spec: Mode, provider: str) -> str:
    """A data URI, refused before upload when it is over the provider's limit."""
    uri = data_uri(path)
    if spec.max_upload_mb and len(uri) > spec.max_upload_mb * 2**20:
        raise NodeError(
            f"the {what} is {len(uri) / 2**20:.1f} MB as a data URI; {provider} takes up to "
            f"{spec.max_upload_mb:g} MB",
            field=f"input '{what}'",
            hint="use a smaller image",
        )
    return uri


# -- Runway -----------------------------------------------------------------------------------------------


class RunwayBackend(RemoteBackend):
    name = "runway"
    title = "Runway"
    poll_interval = 5.0
    MIN_POLL = 5.0  # Runway asks for no faster polling than this
    supports_cancel = True
    VERSION = "2024-11-06"

    @property
    def interval(self) -> float:
        return max(self.MIN_POLL, super().interval)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}", "X-Runway-Version": self.VERSION}

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        spec = self.spec(req.model, req.mode)
        if req.image is None:
            raise NodeError(
                "Runway image_to_video animates a start frame: connect an image",
                field="input 'image'",
            )
        ratios = tuple(spec.ratios or ("1280:720",))
        ratio = nearest_ratio(req.width, req.height, ratios)
        if ratio.replace(":", "x") != f"{req.width}x{req.height}":
            job.info.setdefault("notes", []).append(
                f"Runway renders {ratio.replace(':', 'x')} (nearest to {req.width}x{req.height})"
            )
        image: Any = sized_data_uri(req.image, "image", spec, "Runway")
        if (
            req.end_image is not None
        ):  # only models whose promptImage takes position "last" (refuse() checked)
            image = [
                {"uri": image, "position": "first"},
                {
                    "uri": sized_data_uri(req.end_image, "end_image", spec, "Runway"),
                    "position": "last",
                },
            ]
        body: dict[str, Any] = {
            "model": req.model,
            "promptImage": image,
            "ratio": ratio,
            "duration": int(req.duration),
        }
        text = req.prompt.get("text") or ""
        if text:
            body["promptText"] = text[: spec.max_prompt or 1000]
        if spec.seed:
            body["seed"] = req.seed
        if spec.negative_prompt and req.prompt.get("negative"):
            body["negativePrompt"] = req.prompt["negative"]
        return body

    def body_for_take(
        self, body: dict[str, Any], req: GenerateRequest, take: int
    ) -> dict[str, Any]:
        return dict(body, seed=(req.seed + take - 1) % 4294967295) if "seed" in body else body

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json(
            "POST", "/v1/image_to_video", json=body, submit=True, classify=self.classify
        )
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

# what our camera path's dominant move is called, as words to find among Luma's concept keys
CONCEPT_WORDS = {
    ("pan", 1): "pan right",
    ("pan", -1): "pan left",
    ("tilt", 1): "tilt up",
    ("tilt", -1): "tilt down",
    ("zoom", 1): "zoom in",
    ("zoom", -1): "zoom out",
    ("truck", 1): "truck right",
    ("truck", -1): "truck left",
    ("pedestal", 1): "pedestal up",
    ("pedestal", -1): "pedestal down",
    ("roll", 1): "roll right",
    ("roll", -1): "roll left",
    ("dolly", 1): "push in",
    ("dolly", -1): "pull out",
}


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
    poll_interval = 3.0
    supports_cancel = True

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    def concept(self, http: Http, camera, job: GenerateJob) -> list[dict[str, str]]:
        """Our camera path as the nearest of Luma's camera concepts (and say what was lost)."""
        move = dominant_move(camera)
        if move is None:
            return []
        words = CONCEPT_WORDS[move]
        listed = http.json("GET", "/generations/concepts/list", classify=self.classify) or []
        keys = [str(k) for c in listed if (k := c.get("key") if isinstance(c, dict) else c)]

        def score(key: str) -> int:
            k = key.replace("_", " ").lower()
            return sum(w in k for w in words.split())

        best = max(keys, key=score, default=None)
        if best is None or score(best) == 0:
            job.info.setdefault("notes", []).append(
                f"Luma has no camera concept for '{words}': left to the prompt"
            )
            return []
        job.info.setdefault("notes", []).append(
            f"camera path approximated by Luma's '{best}' concept "
            "(Luma moves by named concepts, not keyframes)"
        )
        return [{"key": best}]

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        spec = self.spec(req.model, req.mode)
        body: dict[str, Any] = {
            "model": req.model,
            "prompt": req.prompt.get("text") or "",
            "aspect_ratio": nearest_ratio(req.width, req.height, tuple(spec.ratios or ("16:9",))),
            "duration": f"{int(req.duration)}s",
        }
        if spec.resolution:
            body["resolution"] = spec.resolution
        frames = {}
        # Luma fetches keyframe images by URL (its API and SDK take only `url`); Reelgraph does not
        # host files, so the user gives the public URL of the same picture on the reference image
        for key, path, url, what in (
            ("frame0", req.image, req.image_url, "image"),
            ("frame1", req.end_image, req.end_image_url, "end_image"),
        ):
            if path is None:
                continue
            if not url:
                raise NodeError(
                    f"Luma fetches the {'start' if key == 'frame0' else 'end'} frame from a public "
                    "https URL, and Reelgraph does not upload files for you",
                    field=f"input '{what}'",
                    hint="upload the picture (your website, a CDN, a public cloud-storage link) and "
                    "paste its https URL into the 'url' field of the Reference image node, or "
                    "use a backend that takes the image itself (kling, runway, veo)",
                )
            frames[key] = {"type": "image", "url": url}
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
        data = http.json(
            "POST", "/generations/video", json=body, submit=True, classify=self.classify
        )
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


# -- Google Veo (Agent Platform / Vertex AI, API key) ----------------------------------------------------


class VeoBackend(RemoteBackend):
    """Veo through Google's Agent Platform (Vertex AI) with an API key (express mode): what the
    official google-genai SDK sends since 3.0, which refuses video generation with a Gemini API
    (AI Studio) key. Results come back inline in the finished operation."""

    name = "veo"
    title = "Veo"
    poll_interval = 5.0
    API = "v1beta1"

    def __init__(self) -> None:
        self._inline: dict[tuple[str, int], bytes] = {}

    def headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key()}

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        spec = self.spec(req.model, req.mode)
        instance: dict[str, Any] = {"prompt": req.prompt.get("text") or ""}
        for key, path in (("image", req.image), ("lastFrame", req.end_image)):
            if path is not None:
                mime = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
                instance[key] = {
                    "bytesBase64Encoded": base64.b64encode(path.read_bytes()).decode(),
                    "mimeType": mime,
                }
        resolution = (
            "1080p" if min(req.width, req.height) >= 1080 and req.duration == 8.0 else "720p"
        )
        if min(req.width, req.height) >= 1080 and resolution == "720p":
            job.info.setdefault("notes", []).append(
                "Veo renders 1080p on 8 s clips only: this one is 720p"
            )
        params: dict[str, Any] = {
            "sampleCount": 1,
            "durationSeconds": int(req.duration),
            "aspectRatio": nearest_ratio(req.width, req.height, tuple(spec.ratios or ("16:9",))),
            "resolution": resolution,
        }
        if spec.negative_prompt and req.prompt.get("negative"):
            params["negativePrompt"] = req.prompt["negative"]
        if spec.seed:
            params["seed"] = req.seed
        if spec.audio:
            params["generateAudio"] = True
        return {"instances": [instance], "parameters": params, "_model": req.model}

    def body_for_take(
        self, body: dict[str, Any], req: GenerateRequest, take: int
    ) -> dict[str, Any]:
        if "seed" not in body["parameters"]:
            return body
        return dict(
            body, parameters=dict(body["parameters"], seed=(req.seed + take - 1) % 4294967295)
        )

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        body = dict(body)
        model = body.pop("_model")
        data = http.json(
            "POST",
            f"/{self.API}/publishers/google/models/{model}:predictLongRunning",
            json=body,
            submit=True,
            classify=self.classify,
        )
        return str(data["name"]), {}

    def _operation(self, http: Http, job: Job) -> dict[str, Any]:
        name = job.provider_id or ""
        resource = name.split("/operations/")[0]
        if not resource or resource == name:
            raise ProviderError(
                f"Veo: the operation name {name[:100]!r} is not one Reelgraph can poll"
            )
        return http.json(
            "POST",
            f"/{self.API}/{resource}:fetchPredictOperation",
            json={"operationName": name},
            classify=self.classify,
        )

    def status(self, http: Http, job: Job) -> Status:
        data = self._operation(http, job)
        if not data.get("done"):
            return Status("running", None, "generating")
        if data.get("error"):
            err = data["error"]
            return Status(
                "failed", None, f"{err.get('message', 'failed')} (code {err.get('code')})"
            )
        resp = data.get("response") or {}
        videos = resp.get("videos") or []
        outputs = []
        for i, v in enumerate(videos):
            if v.get("bytesBase64Encoded"):
                self._inline[(job.provider_id or "", i)] = base64.b64decode(v["bytesBase64Encoded"])
                outputs.append(f"inline:{i}")
            elif v.get("gcsUri"):
                return Status(
                    "failed",
                    None,
                    f"Veo wrote the result to {v['gcsUri']}, a Cloud Storage path "
                    "Reelgraph cannot read with an API key; download it from the console",
                )
        if not outputs:
            reasons = "; ".join(resp.get("raiMediaFilteredReasons") or []) or "no video returned"
            return Status("failed", None, f"Veo's safety filters removed the result: {reasons}")
        return Status("done", 1.0, "", outputs)

    def fetch(
        self, http: Http, job: Job, output: str, dest, headers: dict[str, str] | None
    ) -> None:
        if not output.startswith("inline:"):
            return super().fetch(http, job, output, dest, headers)
        index = int(output.split(":", 1)[1])
        data = self._inline.pop((job.provider_id or "", index), None)
        if data is None:  # resumed after a restart: the finished operation still holds the video
            self.status(http, job)
            data = self._inline.pop((job.provider_id or "", index), None)
        if not data:
            raise ProviderError("Veo: the finished operation no longer holds the video")
        with open(dest, "wb") as fh:
            fh.write(data)


class RunwayUpscale(RunwayBackend):
    """Runway's video upscale (the model name changes; keep it in params/settings)."""

    title = "Runway upscale"
    task = "upscale"

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        video = req.extra["video"]
        limit = self.spec(req.model, req.mode).max_upload_mb or 16
        if video.stat().st_size > limit * 2**20:
            raise NodeError(
                f"the video is {video.stat().st_size / 2**20:.0f} MB; Runway upscale takes up to "
                f"{limit:g} MB inline",
                field="input 'media'",
                hint="upscale a shorter clip",
            )
        uri = f"data:video/mp4;base64,{base64.b64encode(video.read_bytes()).decode('ascii')}"
        return {"model": req.model, "videoUri": uri}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = http.json(
            "POST", "/v1/video_upscale", json=body, submit=True, classify=self.classify
        )
        return str(data["id"]), {}
