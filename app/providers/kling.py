"""Kling: image-to-video with motion brush and camera control (JWT auth).

Protocol facts: ../shared/guide/providers.md. Trajectories are sent with the origin at the
image's bottom-left (y flipped); camera_control "simple" carries exactly one non-zero axis in
-10..10, so our camera path is reduced to its dominant axis and the approximation reported.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from typing import Any

import httpx

from app.core.errors import NodeError
from app.core.redact import register
from app.media.camera import CameraPath
from app.media.images import image_size
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import catalog
from app.providers.http import Http, ProviderError
from app.providers.journal import Job
from app.providers.remote import RemoteBackend, Status

# our axis -> Kling's simple-config axis, and how many of our units make Kling's full 10
AXES = {
    "pan": ("pan", 20.0),
    "tilt": ("tilt", 20.0),
    "roll": ("roll", 30.0),
    "zoom": ("zoom", 0.5),
    "truck": ("horizontal", 0.5),
    "pedestal": ("vertical", 0.5),
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(access_key: str, secret_key: str, now: float | None = None, ttl: int = 1800) -> str:
    """HS256 JWT: {iss: access key, exp: now + ttl, nbf: now - 5}."""
    now = int(now if now is not None else time.time())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(
        json.dumps(
            {"iss": access_key, "exp": now + ttl, "nbf": now - 5}, separators=(",", ":")
        ).encode()
    )
    sig = hmac.new(secret_key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(sig)}"


def camera_control(camera: CameraPath) -> tuple[dict[str, Any] | None, str]:
    """Kling's one-axis simple config for our path: its dominant move at the end of the shot.
    Returns (camera_control or None for a static path, a note on what was approximated)."""
    start, end = camera.sample(0.0), camera.sample(1.0)
    deltas = {a: end[a] - start[a] for a in AXES}
    deltas["zoom"] = math.log(end["zoom"] / start["zoom"]) + (end["dolly"] - start["dolly"])
    scored = {a: abs(d) / AXES[a][1] * 10 for a, d in deltas.items()}
    axis = max(scored, key=lambda a: scored[a])
    if scored[axis] < 0.05:
        return None, ""
    value = max(-10.0, min(10.0, math.copysign(scored[axis], deltas[axis])))
    value = round(value, 1) or math.copysign(0.1, deltas[axis])
    kling_axis = AXES[axis][0]
    config: dict[str, float] = {
        k: 0 for k in ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")
    }
    config[kling_axis] = value
    dropped = [a for a, s in scored.items() if a != axis and s >= 0.5]
    note = f"Kling moves one camera axis: sent {kling_axis} {value:g}"
    if dropped:
        note += f" (dropped {', '.join(dropped)}; easing is Kling's own)"
    return {"type": "simple", "config": config}, note


def flip_trajectory(points: list[list[float]], height: int) -> list[dict[str, int]]:
    """Top-left image pixels -> Kling's bottom-left origin."""
    return [{"x": int(round(x)), "y": int(round(height - 1 - y))} for x, y in points]


def _b64_file(path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


class KlingBackend(RemoteBackend):
    name = "kling"
    title = "Kling"
    poll_interval = 3.0
    supports_lookup = True
    supports_cancel = False  # Kling has no cancel endpoint

    def __init__(self) -> None:
        self._token: tuple[str, float] | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"}

    def token(self, refresh: bool = False) -> str:
        key = self.key()
        if key is None:
            raise ProviderError(
                "no Kling key: set REELGRAPH_KLING_ACCESS_KEY and REELGRAPH_KLING_SECRET_KEY or "
                "run `reelgraph keys set kling`"
            )
        now = time.time()
        if (
            refresh or self._token is None or self._token[1] - now < 300
        ):  # refresh well before expiry
            self._token = (make_jwt(key["access_key"], key["secret_key"], now), now + 1800)
            register(self._token[0])
        return self._token[0]

    def classify(self, resp: httpx.Response) -> ProviderError | None:
        try:
            data = resp.json()
            code, msg = int(data.get("code", 0)), data.get("message") or ""
        except (ValueError, AttributeError, TypeError):
            return None
        if code == 1004:
            return ProviderError(
                "Kling: the login token expired",
                final=False,
                retry=False,
                status=resp.status_code,
                code=code,
            )
        if 1000 <= code <= 1003:
            return ProviderError(
                f"Kling rejected the key ({code}: {msg}); check it with `reelgraph keys set kling`",
                status=resp.status_code,
                code=code,
            )
        if 1100 <= code <= 1102:
            return ProviderError(
                f"Kling account problem ({code}: {msg}): out of credit or the resource pack is "
                "used up; top up and run again",
                status=resp.status_code,
                code=code,
            )
        if code in (1103, 1304):
            return ProviderError(
                f"Kling refused access ({code}: {msg}); check the key's permissions and IP "
                "allow-list",
                status=resp.status_code,
                code=code,
            )
        if code in (1200, 1201):
            return ProviderError(
                f"Kling refused the request parameters ({code}: {msg})",
                status=resp.status_code,
                code=code,
            )
        if code in (1202, 1203):
            return ProviderError(
                f"Kling: not found ({code}: {msg})", status=resp.status_code, code=code
            )
        if code in (1300, 1301):
            return ProviderError(
                f"Kling's content safety check refused this request ({msg}); change the prompt or "
                "image",
                status=resp.status_code,
                code=code,
            )
        if code in (1302, 1303) or code >= 5000:
            return ProviderError(
                f"Kling is busy ({code}: {msg})", final=False, status=resp.status_code, code=code
            )
        return None

    def call(self, http: Http, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """A Kling call; an expired token (1004) is refreshed and the call repeated once; a busy
        code inside a 200 answer (1302/1303/5000+) is retried with backoff like an HTTP 429."""
        refreshed = False
        busy = 0
        while True:
            try:
                data = http.json(method, path, classify=self.classify, **kw)
            except ProviderError as e:
                if e.code == 1004 and not refreshed:
                    refreshed = True
                    self.token(refresh=True)
                    continue
                raise
            if isinstance(data, dict) and data.get("code", 0) == 0:
                return data.get("data") or {}
            problem = self.classify(
                httpx.Response(200, json=data if isinstance(data, dict) else {})
            )
            if (
                problem is not None
                and problem.retry
                and not kw.get("submit")
                and busy < http.max_retries
            ):
                http._wait(busy, None)
                busy += 1
                continue
            raise problem or ProviderError(f"Kling: unexpected answer {str(data)[:200]}")

    # -- request --------------------------------------------------------------------------------------
    def image_b64(self, path, what: str, limit_mb: float | None) -> str:
        """A frame as Kling takes it (raw base64), refused before upload if Kling would refuse it."""
        size = path.stat().st_size
        if limit_mb and size > limit_mb * 2**20:
            raise NodeError(
                f"the {what} is {size / 2**20:.1f} MB; Kling takes images up to {limit_mb:g} MB",
                field=f"input '{what}'",
                hint="use a smaller image (a PNG of the shot's size is plenty)",
            )
        w, h = image_size(path)
        if min(w, h) < 300 or max(w / h, h / w) > 2.5:
            raise NodeError(
                f"the {what} is {w}x{h}; Kling takes images at least 300 px on each side with an aspect "
                "ratio between 1:2.5 and 2.5:1",
                field=f"input '{what}'",
            )
        return _b64_file(path)

    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        spec = self.spec(req.model, req.mode)
        if req.image is None:
            raise NodeError("Kling animates a start frame: connect an image", field="input 'image'")
        limit = spec.max_prompt or 2500
        body: dict[str, Any] = {
            "model_name": req.model,
            "image": self.image_b64(req.image, "image", spec.max_upload_mb),
            "prompt": (req.prompt.get("text") or "")[:limit],
            "duration": str(int(req.duration)),
        }
        model = catalog().model(self.name, "generate", req.model)
        if model is not None and model.named_modes:
            body["mode"] = req.mode  # the master models have no mode
        if spec.cfg_scale:  # the reference: v2.x models do not take cfg_scale
            body["cfg_scale"] = 0.5
        negative = req.prompt.get("negative") or ""
        if negative and spec.negative_prompt:
            body["negative_prompt"] = negative[:limit]
        if len(req.prompt.get("text") or "") > limit:
            job.info.setdefault("notes", []).append(
                f"Kling takes {limit} characters of prompt: the rest was cut"
            )
        if req.end_image is not None:
            body["image_tail"] = self.image_b64(req.end_image, "end_image", spec.max_upload_mb)
        if req.motion is not None and (req.motion.get("regions") or req.motion.get("static_mask")):
            brush = spec.motion_brush
            assert brush is not None  # refuse() checked the catalog
            regions = req.motion.get("regions", [])
            if len(regions) > brush.max_regions:
                raise NodeError(
                    f"Kling takes at most {brush.max_regions} motion regions, not {len(regions)}",
                    field="input 'motion'",
                    hint="merge or remove regions in the motion brush",
                )
            _, h = image_size(req.image)
            if req.motion.get("static_mask"):
                body["static_mask"] = req.motion["static_mask"]
            dyn = []
            for r in regions:
                if not 2 <= len(r["trajectory"]) <= brush.max_points:
                    raise NodeError(
                        f"region '{r['name']}': Kling takes 2 to {brush.max_points} trajectory points, "
                        f"not {len(r['trajectory'])}",
                        field="input 'motion'",
                    )
                dyn.append({"mask": r["mask"], "trajectories": flip_trajectory(r["trajectory"], h)})
            if dyn:
                body["dynamic_masks"] = dyn
        if req.camera is not None:
            control, note = camera_control(req.camera)
            if control is not None:
                body["camera_control"] = control
                job.info.setdefault("notes", []).append(note)
        return body

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        data = self.call(
            http,
            "POST",
            "/v1/videos/image2video",
            json=dict(body, external_task_id=job.client_id),
            submit=True,
        )
        return str(data["task_id"]), {}

    def lookup(self, http: Http, job: Job) -> str | None:
        """The task submitted under our external_task_id, or None when Kling says it has none (the
        reference: the query path takes the task id or the external_task_id). Anything else is an
        error: the job may exist, so it is never taken as 'not found' (no second paid task)."""
        try:
            data = self.call(http, "GET", f"/v1/videos/image2video/{job.client_id}")
        except ProviderError as e:
            if _not_found(e):
                return None
            raise
        return str(data.get("task_id")) if data.get("task_id") else None

    def status(self, http: Http, job: Job) -> Status:
        data = self.call(http, "GET", f"/v1/videos/image2video/{job.provider_id}")
        st = data.get("task_status")
        if st == "succeed":
            videos = (data.get("task_result") or {}).get("videos") or []
            ids = {"kling_video_id": str(videos[0]["id"])} if videos and videos[0].get("id") else {}
            return Status("done", 1.0, "", [v["url"] for v in videos if v.get("url")], ids)
        if st == "failed":
            return Status("failed", None, data.get("task_status_msg") or "failed")
        return Status("running", None, st or "")


NOT_FOUND_WORDS = ("not found", "not exist", "does not exist", "no such")


def _not_found(e: ProviderError) -> bool:
    """Kling's 'no such task': HTTP 404 or code 1203 (resource not found), or a parameter error
    whose message says the task does not exist."""
    if e.status == 404 or e.code == 1203:
        return True
    return e.code in (1200, 1201) and any(w in str(e).lower() for w in NOT_FOUND_WORDS)
