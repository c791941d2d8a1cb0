"""sync.so lip-sync: the video and the audio uploaded with the request (multipart, up to 20 MB
each), polled until done. Field names of the upload endpoint follow sync.so's API overview;
they are not verified against a live account."""

from __future__ import annotations

import json
from typing import Any

import httpx

from app.core.errors import NodeError
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.hosted import classify_common
from app.providers.http import Http, ProviderError
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
        key = self.key()
        if key is None:
            raise ProviderError("no sync.so key: `reelgraph keys set sync`")
        return {"x-api-key": key["api_key"]}

    def classify(self, resp: httpx.Response) -> ProviderError | None:
        if resp.status_code == 429 or resp.status_code >= 500:
            return None
        return classify_common(self.title, resp)

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
