"""Lip-sync backends: sync.so (the video and audio uploaded with the request) and Kling (a video
Kling made, by its id: identify-face, then advanced-lip-sync; the older lip-sync endpoint is the
'lip-sync' model, a fallback). Request shapes are checked against syncsdk and Kling's API
reference in tests/providers/test_contracts.py."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from app.core.errors import NodeError
from app.media.video import audio_duration
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import check_model
from app.providers.http import Http
from app.providers.journal import Job
from app.providers.remote import RemoteBackend, Status


def idempotency_key(job_key: str, client_id: str) -> str:
    """A key sync.so accepts (1-128 of [A-Za-z0-9._~-]) that stays the same for one attempt at
    a node's take across runs (so a resend can never make a second paid generation) and is new
    for a new attempt (after a failure, an expired result or `jobs forget`)."""
    return "rg-" + hashlib.sha256(f"{job_key}\n{client_id}".encode()).hexdigest()


class LipSyncBackend(RemoteBackend):
    task = "lipsync"

    def check_lipsync(self, model: str) -> list[tuple[str | None, str]]:
        _, _, problems = check_model(self.name, "lipsync", model, "")
        return problems + self.key_problem()

    def upload_limit(self, req: GenerateRequest, what: str) -> None:
        limit = self.spec(req.model).max_upload_mb
        path = req.extra[what]
        if limit and path.stat().st_size > limit * 2**20:
            raise NodeError(
                f"the {what} is {path.stat().st_size / 2**20:.1f} MB; {self.title} takes up to "
                f"{limit:g} MB",
                field=f"input '{what}'",
                hint="use a shorter or smaller file",
            )


class SyncBackend(LipSyncBackend):
    name = "sync"
    title = "sync.so"
    poll_interval = 3.0
    idempotent = True  # Idempotency-Key: a resend with the same key never makes a second generation

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key()}

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        for what in ("video", "audio"):
            self.upload_limit(req, what)
        return {
            "model": req.model,
            "video": req.extra["video"],
            "audio": req.extra["audio"],
            "sync_mode": req.extra.get("sync_mode", "cut_off"),
        }

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        # "Create Generation with Files": multipart on POST /v2/generate; nested fields are JSON text
        with open(body["video"], "rb") as v, open(body["audio"], "rb") as a:
            files = {
                "video": (body["video"].name, v, "video/mp4"),
                "audio": (body["audio"].name, a, "audio/wav"),
            }
            data = http.json(
                "POST",
                "/v2/generate",
                files=files,
                submit=True,
                idempotent=True,
                classify=self.classify,
                headers={"Idempotency-Key": idempotency_key(job.job_key, job.client_id)},
                data={
                    "model": body["model"],
                    "options": json.dumps({"sync_mode": body["sync_mode"]}),
                },
            )
        return str(data["id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        data = http.json("GET", f"/v2/generate/{job.provider_id}", classify=self.classify)
        st = data.get("status")
        if st == "COMPLETED":
            return Status("done", 1.0, "", [data["outputUrl"]] if data.get("outputUrl") else [])
        if st in ("FAILED", "REJECTED"):
            return Status("failed", None, str(data.get("error") or st.lower()))
        return Status("running", None, st or "")


AUDIO_TYPES = (".mp3", ".wav", ".m4a", ".aac")


class KlingLipSync(LipSyncBackend):
    """Kling's lip-sync of a video Kling made (by its video id) to an audio file."""

    name = "kling"
    title = "Kling lip-sync"
    poll_interval = 3.0

    def __init__(self) -> None:
        from app.providers.kling import KlingBackend

        self.kling = KlingBackend()

    def key(self):
        return self.kling.key()

    def headers(self) -> dict[str, str]:
        return self.kling.headers()

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        video_id = req.extra.get("kling_video_id")
        if not video_id:
            raise NodeError(
                "Kling lip-syncs videos Kling made: connect the video of a Kling generator (other videos "
                "need a public URL, which Reelgraph does not host; use the sync backend for them)",
                field="input 'video'",
            )
        audio = req.extra["audio"]
        self.upload_limit(req, "audio")
        if audio.suffix.lower() not in AUDIO_TYPES:
            raise NodeError(
                f"Kling takes {', '.join(AUDIO_TYPES)} audio, not {audio.suffix or 'this file'}",
                field="input 'audio'",
            )
        seconds = audio_duration(audio)
        if not 2.0 <= seconds <= 60.0:
            raise NodeError(
                f"the audio is {seconds:.1f} s; Kling lip-syncs 2 to 60 s of audio",
                field="input 'audio'",
            )
        sound = base64.b64encode(audio.read_bytes()).decode("ascii")
        if req.model == "lip-sync":  # the legacy endpoint (fallback)
            return {
                "model": req.model,
                "input": {
                    "mode": "audio2video",
                    "video_id": video_id,
                    "audio_type": "file",
                    "audio_file": sound,
                },
            }
        return {
            "model": req.model,
            "video_id": video_id,
            "sound_file": sound,
            "audio_ms": int(seconds * 1000),
            "video_ms": int(req.duration * 1000),
        }

    def prepare(self, http: Http, body: dict[str, Any], job: GenerateJob) -> dict[str, Any]:
        """identify-face (once per node, only when a take is really submitted): the session and
        the face to sync, and where the audio can go."""
        if body["model"] == "lip-sync":
            return body
        data = self.kling.call(
            http, "POST", "/v1/videos/identify-face", json={"video_id": body["video_id"]}
        )
        faces = data.get("face_data") or []
        if not data.get("session_id") or not faces:
            raise NodeError(
                "Kling found no face to lip-sync in this video",
                field="input 'video'",
                hint="use a shot where the speaker's face is visible, or the sync backend",
            )
        face = faces[0]
        start, end = int(face.get("start_time") or 0), int(face.get("end_time") or body["video_ms"])
        length = min(body["audio_ms"], body["video_ms"] - start)
        if min(end, start + length) - start < 2000:
            raise NodeError(
                "Kling needs the audio to overlap the visible face for at least 2 s; the face is on "
                f"screen from {start / 1000:.1f} s to {end / 1000:.1f} s",
                field="input 'audio'",
            )
        if len(faces) > 1:
            job.info.setdefault("notes", []).append(
                f"Kling found {len(faces)} faces: the first was lip-synced"
            )
        return {
            "model": body["model"],
            "request": {
                "session_id": data["session_id"],
                "face_choose": [
                    {
                        "face_id": str(face["face_id"]),
                        "sound_file": body["sound_file"],
                        "sound_start_time": 0,
                        "sound_end_time": length,
                        "sound_insert_time": start,
                        "sound_volume": 1,
                        "original_audio_volume": 1,
                    }
                ],
            },
        }

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        if body["model"] == "lip-sync":
            data = self.kling.call(
                http, "POST", "/v1/videos/lip-sync", json={"input": body["input"]}, submit=True
            )
        else:
            data = self.kling.call(
                http, "POST", "/v1/videos/advanced-lip-sync", json=body["request"], submit=True
            )
        return str(data["task_id"]), {}

    def status(self, http: Http, job: Job) -> Status:
        path = "lip-sync" if job.model == "lip-sync" else "advanced-lip-sync"
        data = self.kling.call(http, "GET", f"/v1/videos/{path}/{job.provider_id}")
        st = data.get("task_status")
        if st == "succeed":
            videos = (data.get("task_result") or {}).get("videos") or []
            return Status("done", 1.0, "", [v["url"] for v in videos if v.get("url")])
        if st == "failed":
            return Status("failed", None, data.get("task_status_msg") or "failed")
        return Status("running", None, st or "")
