"""sync.so lip-sync: the video and the audio uploaded with the request (multipart, up to 20 MB
each), polled until done. Field names of the upload endpoint follow sync.so's API overview;
they are not verified against a live account."""

from __future__ import annotations

import json
from typing import Any

from app.core.errors import NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.http import Http
from app.providers.journal import Job
from app.providers.remote import Caps, RemoteBackend, Status

LIPSYNC = Caps(start_image=False, lipsync=True, audio=True)
MAX_UPLOAD = 20 * 2**20


class SyncBackend(RemoteBackend):
    name = "sync"
    title = "sync.so"
    default_base = "https://api.sync.so"
    poll_interval = 3.0
    MODELS = {"lipsync-2": LIPSYNC, "lipsync-2-pro": LIPSYNC, "sync-3": LIPSYNC}

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key()}

    def check_lipsync(self, model: str) -> list[tuple[str | None, str]]:
        problems: list[tuple[str | None, str]] = []
        if model and model not in self.MODELS:
            problems.append(("param 'model'", f"sync.so has no model {model!r}; models: {', '.join(self.MODELS)}"))
        if self.key() is None:
            problems.append(("param 'backend'", "no API key for sync: `reelgraph keys set sync`"))
        return problems

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        video, audio = req.extra["video"], req.extra["audio"]
        for what, path in (("video", video), ("audio", audio)):
            if path.stat().st_size > MAX_UPLOAD:
                raise NodeError(f"the {what} is {path.stat().st_size / 2**20:.0f} MB; sync.so takes uploads up to "
                                "20 MB", field=f"input '{what}'", hint="export a shorter or smaller clip first")
        return {"model": req.model, "video": video, "audio": audio, "sync_mode": req.extra.get("sync_mode", "cut_off")}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        with open(body["video"], "rb") as v, open(body["audio"], "rb") as a:
            files = {"video": (body["video"].name, v, "video/mp4"), "audio": (body["audio"].name, a, "audio/wav")}
            data = http.json("POST", "/v2/generate/upload", files=files, submit=True, classify=self.classify,
                             data={"model": body["model"], "options": json.dumps({"sync_mode": body["sync_mode"]})})
        return str(data["id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/v2/generate/{job.provider_id}", classify=self.classify)
        st = data.get("status")
        if st == "COMPLETED":
            return Status("done", 1.0, "", [data["outputUrl"]] if data.get("outputUrl") else [])
        if st in ("FAILED", "REJECTED"):
            return Status("failed", None, str(data.get("error") or st.lower()))
        return Status("running", None, st or "")


LIPSYNC_BACKENDS = {"sync": SyncBackend()}


class KlingLipSync(RemoteBackend):
    """Kling's lip-sync of a video Kling made (by its video id) to an audio file."""

    name = "kling"
    title = "Kling lip-sync"
    default_base = "https://api.klingai.com"
    poll_interval = 3.0
    MODELS = {"lip-sync": LIPSYNC}

    def __init__(self) -> None:
        from app.providers.kling import KlingBackend

        self.kling = KlingBackend()

    def key(self):
        return self.kling.key()

    def headers(self) -> dict[str, str]:
        return self.kling.headers()

    def check_lipsync(self, model: str) -> list[tuple[str | None, str]]:
        if self.key() is None:
            return [("param 'backend'", "no Kling key: `reelgraph keys set kling`")]
        return []

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        video_id = req.extra.get("kling_video_id")
        if not video_id:
            raise NodeError("Kling lip-syncs videos Kling made: connect the video of a Kling generator (other videos "
                            "need a public URL, which Reelgraph does not host; use the sync backend for them)",
                            field="input 'video'")
        audio = req.extra["audio"]
        if audio.stat().st_size > MAX_UPLOAD:
            raise NodeError("the audio is over 20 MB", field="input 'audio'")
        import base64

        return {"model": "lip-sync", "input": {"mode": "audio2video", "video_id": video_id, "audio_type": "file",
                                               "audio_file": base64.b64encode(audio.read_bytes()).decode("ascii")}}

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = self.kling._call(http, "POST", "/v1/videos/lip-sync", json={"input": body["input"]}, submit=True)
        return str(data["task_id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = self.kling._call(http, "GET", f"/v1/videos/lip-sync/{job.provider_id}")
        st = data.get("task_status")
        if st == "succeed":
            videos = (data.get("task_result") or {}).get("videos") or []
            return Status("done", 1.0, "", [v["url"] for v in videos if v.get("url")])
        if st == "failed":
            return Status("failed", None, data.get("task_status_msg") or "failed")
        return Status("running", None, st or "")


LIPSYNC_BACKENDS["kling"] = KlingLipSync()
