"""Fake provider servers: real HTTP on 127.0.0.1 (a ThreadingHTTPServer in a thread), each with
a scripted job state machine and injectable faults, recording every request it gets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = (
        0.0  # seconds before answering (a hung response when longer than the client waits)
    )
    truncate: bool = False  # announce the full length, send half, close


class FakeServer:
    """Routes: (method, regex) -> handler(request, match) -> Reply. ``faults`` maps a route name
    to a list of Replies served (and consumed) before the real handler runs."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, str, Any]] = []
        self.faults: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def _handle(self) -> None:
                n = int(self.headers.get("content-length") or 0)
                req = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(n) if n else b"",
                )
                if req.headers.get("upgrade", "").lower() == "websocket":
                    fake.websocket(self, req)  # the handler's socket is the fake's until it closes
                    self.close_connection = True
                    return
                reply = fake.dispatch(req)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body
                data = (
                    body
                    if isinstance(body, bytes)
                    else json.dumps(body).encode()
                    if body is not None
                    else b""
                )
                try:
                    self.send_response(reply.status)
                    if not isinstance(body, bytes):
                        self.send_header("Content-Type", "application/json")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if reply.truncate:
                        self.wfile.write(data[: len(data) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, method: str, pattern: str, name: str):
        def deco(fn):
            self.routes.append((method, re.compile(f"^{pattern}$"), name, fn))
            return fn

        return deco

    def websocket(self, handler: Any, req: Request) -> None:
        handler.send_error(404)

    def fault(self, name: str, *replies: Reply) -> None:
        with self.lock:
            self.faults.setdefault(name, []).extend(replies)

    def dispatch(self, req: Request) -> Reply:
        with self.lock:
            self.requests.append(req)
        path = req.path.split("?", 1)[0]
        for method, rx, name, fn in self.routes:
            m = rx.match(path)
            if m and method == req.method:
                with self.lock:
                    queued = self.faults.get(name)
                    fault = queued.pop(0) if queued else None
                if fault is not None:
                    return fault
                return fn(req, m)
        return Reply(404, {"error": f"no route {req.method} {path}"})

    def count(self, method: str, pattern: str) -> int:
        rx = re.compile(pattern)
        return sum(1 for r in self.requests if r.method == method and rx.search(r.path))

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- Kling -----------------------------------------------------------------------------------------------

ACCESS, SECRET = "ak-test-7f3e", "sk-test-secret-91b2c4d6"


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class FakeKling(FakeServer):
    """Kling's image2video: JWT checked (HS256, iss, exp, nbf), tasks that succeed after
    ``polls_to_finish`` polls, results served from /files/."""

    def __init__(self, video: Path, polls_to_finish: int = 2, latency: float = 0.0) -> None:
        super().__init__()
        self.video = video
        self.tasks: dict[str, dict[str, Any]] = {}
        self.by_external: dict[str, str] = {}
        self.polls_to_finish = polls_to_finish
        self.latency = latency  # seconds a task takes, when set (instead of counting polls)
        self.bodies: list[dict[str, Any]] = []
        self.fail_next_task: str | None = None
        self.created_then_502 = False
        self.tokens: list[dict[str, Any]] = []

        @self.route("POST", "/v1/videos/image2video", "submit")
        def submit(req: Request, m) -> Reply:
            bad = self.auth(req)
            if bad:
                return bad
            body = req.json()
            if body.get("external_task_id") in self.by_external:
                # the reference: external_task_id must be unique within the account
                return Reply(
                    400,
                    {
                        "code": 1201,
                        "message": "external_task_id already exists",
                        "request_id": "r0",
                    },
                )
            self.bodies.append(body)
            tid = str(800000 + len(self.tasks))
            self.tasks[tid] = {"polls": 0, "t0": time.monotonic(), "failed": self.fail_next_task}
            self.fail_next_task = None
            if body.get("external_task_id"):
                self.by_external[body["external_task_id"]] = tid
            if self.created_then_502:
                self.created_then_502 = False
                return Reply(502, b"<html>bad gateway</html>")
            return Reply(
                200,
                {
                    "code": 0,
                    "message": "SUCCEED",
                    "request_id": "r1",
                    "data": {"task_id": tid, "task_status": "submitted"},
                },
            )

        @self.route("GET", r"/v1/videos/image2video/([\w-]+)", "poll")
        def poll(req: Request, m) -> Reply:
            bad = self.auth(req)
            if bad:
                return bad
            tid = m.group(1)
            tid = self.by_external.get(tid, tid)
            task = self.tasks.get(tid)
            if task is None:
                return Reply(404, {"code": 1201, "message": "task not found"})
            task["polls"] += 1
            done = (
                (time.monotonic() - task["t0"] >= self.latency)
                if self.latency
                else task["polls"] >= self.polls_to_finish
            )
            data: dict[str, Any] = {
                "task_id": tid,
                "task_status": "processing" if not done else "succeed",
            }
            if done and task["failed"]:
                data.update(task_status="failed", task_status_msg=task["failed"])
            elif done:
                data["task_result"] = {
                    "videos": [
                        {"id": f"v{tid}", "url": f"{self.url}/files/{tid}.mp4", "duration": "5"}
                    ]
                }
            return Reply(200, {"code": 0, "message": "SUCCEED", "data": data})

        @self.route("GET", r"/files/(\w+)\.mp4", "download")
        def download(req: Request, m) -> Reply:
            return Reply(200, self.video.read_bytes(), {"Content-Type": "video/mp4"})

        self.lipsync_bodies: list[dict[str, Any]] = []

        @self.route("POST", "/v1/videos/lip-sync", "lipsync")
        def lipsync(req: Request, m) -> Reply:
            bad = self.auth(req)
            if bad:
                return bad
            self.lipsync_bodies.append(req.json())
            tid = f"ls{len(self.lipsync_bodies)}"
            self.tasks[tid] = {"polls": 0, "t0": time.monotonic(), "failed": None}
            return Reply(200, {"code": 0, "data": {"task_id": tid, "task_status": "submitted"}})

        self.identify_bodies: list[dict[str, Any]] = []
        self.faces = [
            {
                "face_id": "0",
                "face_image": f"{self.url}/files/face.png",
                "start_time": 0,
                "end_time": 5000,
            }
        ]

        @self.route("POST", "/v1/videos/identify-face", "identify")
        def identify(req: Request, m) -> Reply:
            bad = self.auth(req)
            if bad:
                return bad
            self.identify_bodies.append(req.json())
            return Reply(
                200,
                {
                    "code": 0,
                    "message": "SUCCEED",
                    "request_id": "r2",
                    "data": {
                        "session_id": f"sess{len(self.identify_bodies)}",
                        "final_unit_deduction": "0.05",
                        "face_data": self.faces,
                    },
                },
            )

        @self.route("POST", "/v1/videos/advanced-lip-sync", "advanced")
        def advanced(req: Request, m) -> Reply:
            bad = self.auth(req)
            if bad:
                return bad
            self.lipsync_bodies.append(req.json())
            tid = f"als{len(self.lipsync_bodies)}"
            self.tasks[tid] = {"polls": 0, "t0": time.monotonic(), "failed": None}
            return Reply(
                200,
                {
                    "code": 0,
                    "data": {
                        "task_id": tid,
                        "task_status": "submitted",
                        "task_info": {"external_task_id": ""},
                    },
                },
            )

        @self.route("GET", r"/v1/videos/(?:advanced-)?lip-sync/(\w+)", "lipsync_poll")
        def lipsync_poll(req: Request, m) -> Reply:
            task = self.tasks[m.group(1)]
            task["polls"] += 1
            if task["polls"] < 2:
                return Reply(
                    200, {"code": 0, "data": {"task_id": m.group(1), "task_status": "processing"}}
                )
            return Reply(
                200,
                {
                    "code": 0,
                    "data": {
                        "task_id": m.group(1),
                        "task_status": "succeed",
                        "task_result": {
                            "videos": [{"id": "lsv", "url": f"{self.url}/files/{m.group(1)}.mp4"}]
                        },
                    },
                },
            )

    def auth(self, req: Request) -> Reply | None:
        h = req.headers.get("authorization", "")
        if not h.startswith("Bearer "):
            return Reply(401, {"code": 1000, "message": "no token"})
        try:
            head, payload, sig = h[7:].split(".")
            want = hmac.new(SECRET.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(_unb64(sig), want):
                return Reply(401, {"code": 1002, "message": "bad signature"})
            claims = json.loads(_unb64(payload))
        except (ValueError, KeyError):
            return Reply(401, {"code": 1001, "message": "malformed token"})
        self.tokens.append(claims)
        now = time.time()
        if claims.get("iss") != ACCESS:
            return Reply(401, {"code": 1003, "message": "unknown access key"})
        if claims.get("exp", 0) < now or claims.get("nbf", 0) > now + 1:
            return Reply(401, {"code": 1004, "message": "token expired"})
        return None


class FakeTasks(FakeServer):
    """Shared bits: task ids, a poll counter per task, and the result file."""

    def __init__(self, video: Path, polls_to_finish: int = 2) -> None:
        super().__init__()
        self.video = video
        self.polls_to_finish = polls_to_finish
        self.tasks: dict[str, dict[str, Any]] = {}
        self.bodies: list[Any] = []
        self.outcome: dict[str, Any] = {}  # overrides for the next task's final state

        @self.route("GET", r"/files/(\w+)\.mp4", "download")
        def download(req: Request, m) -> Reply:
            return Reply(200, self.video.read_bytes(), {"Content-Type": "video/mp4"})

    def new_task(self, body: Any) -> str:
        self.bodies.append(body)
        tid = f"t{len(self.tasks) + 1:04d}"
        self.tasks[tid] = {"polls": 0, "outcome": dict(self.outcome)}
        self.outcome = {}
        return tid

    def tick(self, tid: str) -> tuple[dict[str, Any], bool]:
        task = self.tasks[tid]
        task["polls"] += 1
        return task, task["polls"] >= self.polls_to_finish

    def file_url(self, tid: str) -> str:
        return f"{self.url}/files/{tid}.mp4"


class FakeRunway(FakeTasks):
    def __init__(self, video: Path) -> None:
        super().__init__(video, polls_to_finish=3)

        @self.route("POST", "/v1/image_to_video", "submit")
        def submit(req, m):
            if req.headers.get("x-runway-version") != "2024-11-06":
                return Reply(400, {"error": "missing X-Runway-Version"})
            return Reply(200, {"id": self.new_task(req.json())})

        @self.route("GET", r"/v1/tasks/(\w+)", "poll")
        def poll(req, m):
            task, done = self.tick(m.group(1))
            if task.get("cancelled"):
                return Reply(200, {"id": m.group(1), "status": "CANCELLED"})
            if not done:
                return Reply(
                    200,
                    {
                        "id": m.group(1),
                        "status": "THROTTLED" if task["polls"] == 1 else "RUNNING",
                        "progress": 0.5,
                    },
                )
            if task["outcome"].get("fail"):
                return Reply(
                    200,
                    {
                        "id": m.group(1),
                        "status": "FAILED",
                        "failure": task["outcome"]["fail"],
                        "failureCode": "SAFETY.INPUT.IMAGE",
                    },
                )
            return Reply(
                200,
                {"id": m.group(1), "status": "SUCCEEDED", "output": [self.file_url(m.group(1))]},
            )

        @self.route("POST", "/v1/video_upscale", "upscale")
        def upscale(req, m):
            return Reply(200, {"id": self.new_task(req.json())})

        @self.route("DELETE", r"/v1/tasks/(\w+)", "cancel")
        def cancel(req, m):
            self.tasks[m.group(1)]["cancelled"] = True
            return Reply(204, b"")


class FakeLuma(FakeTasks):
    CONCEPTS = [
        "static",
        "handheld",
        "pan_left",
        "pan_right",
        "truck_left",
        "truck_right",
        "pedestal_up",
        "pedestal_down",
        "zoom_in",
        "zoom_out",
        "orbit_left",
        "orbit_right",
        "dolly_zoom",
        "aerial",
    ]

    def __init__(self, video: Path) -> None:
        super().__init__(video)

        @self.route("GET", "/generations/concepts/list", "concepts")
        def concepts(req, m):
            return Reply(200, [{"key": k} for k in self.CONCEPTS])

        @self.route("POST", "/generations/video", "submit")
        def submit(req, m):
            return Reply(201, {"id": self.new_task(req.json()), "state": "queued"})

        @self.route("GET", r"/generations/(\w+)", "poll")
        def poll(req, m):
            task, done = self.tick(m.group(1))
            if not done:
                return Reply(200, {"id": m.group(1), "state": "dreaming"})
            return Reply(
                200,
                {
                    "id": m.group(1),
                    "state": "completed",
                    "assets": {"video": self.file_url(m.group(1))},
                },
            )


class FakeVeo(FakeTasks):
    """Veo on Agent Platform (Vertex AI) express mode: predictLongRunning, then
    fetchPredictOperation until done; the video comes back inline (bytesBase64Encoded)."""

    KEY = "veo-key-123"
    OP = "projects/p1/locations/us-central1/publishers/google/models/{model}/operations/{tid}"

    def __init__(self, video: Path) -> None:
        super().__init__(video)

        @self.route(
            "POST", r"/v1beta1/publishers/google/models/([\w.-]+):predictLongRunning", "submit"
        )
        def submit(req, m):
            if req.headers.get("x-goog-api-key") != self.KEY:
                return Reply(403, {"error": {"code": 403, "message": "API key not valid"}})
            tid = self.new_task({"model": m.group(1), **req.json()})
            return Reply(200, {"name": self.OP.format(model=m.group(1), tid=tid)})

        @self.route(
            "POST",
            r"/v1beta1/projects/p1/locations/us-central1/publishers/google/models/([\w.-]+)"
            r":fetchPredictOperation",
            "poll",
        )
        def poll(req, m):
            if req.headers.get("x-goog-api-key") != self.KEY:
                return Reply(403, {"error": {"code": 403, "message": "API key not valid"}})
            name = req.json()["operationName"]
            tid = name.rsplit("/", 1)[1]
            task, done = self.tick(tid)
            if not done:
                return Reply(200, {"name": name, "done": False})
            if task["outcome"].get("filtered"):
                return Reply(
                    200,
                    {
                        "name": name,
                        "done": True,
                        "response": {
                            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                            "raiMediaFilteredCount": 1,
                            "raiMediaFilteredReasons": [task["outcome"]["filtered"]],
                        },
                    },
                )
            return Reply(
                200,
                {
                    "name": name,
                    "done": True,
                    "response": {
                        "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                        "videos": [
                            {
                                "bytesBase64Encoded": base64.b64encode(
                                    self.video.read_bytes()
                                ).decode(),
                                "mimeType": "video/mp4",
                            }
                        ],
                    },
                },
            )


class FakeFal(FakeTasks):
    def __init__(self, video: Path) -> None:
        super().__init__(video)

        @self.route("POST", r"/(fal-ai/[\w/-]+)", "submit")
        def submit(req, m):
            tid = self.new_task({"endpoint": m.group(1), "input": req.json()})
            # deliberately not the path a client would guess: it must use these URLs
            base = f"{self.url}/requests-elsewhere/{tid}"
            return Reply(
                200,
                {
                    "request_id": tid,
                    "status_url": f"{base}/state",
                    "response_url": f"{base}/result",
                    "cancel_url": f"{base}/stop",
                },
            )

        @self.route("GET", r"/requests-elsewhere/(\w+)/state", "poll")
        def poll(req, m):
            task, done = self.tick(m.group(1))
            return Reply(
                200,
                {"status": "COMPLETED" if done else "IN_QUEUE", "queue_position": 0 if done else 3},
            )

        @self.route("GET", r"/requests-elsewhere/(\w+)/result", "result")
        def result(req, m):
            return Reply(
                200,
                {
                    "video": {"url": self.file_url(m.group(1)), "content_type": "video/mp4"},
                    "seed": 7,
                },
            )

        @self.route("PUT", r"/requests-elsewhere/(\w+)/stop", "cancel")
        def cancel(req, m):
            return Reply(200, {"status": "CANCELLATION_REQUESTED"})


class FakeReplicate(FakeTasks):
    def __init__(self, video: Path) -> None:
        super().__init__(video)

        @self.route("POST", r"/v1/models/([\w.-]+)/([\w.-]+)/predictions", "submit")
        def submit(req, m):
            tid = self.new_task({"model": f"{m.group(1)}/{m.group(2)}", **req.json()})
            return Reply(201, {"id": tid, "status": "starting"})

        @self.route("POST", "/v1/predictions", "submit_version")
        def submit_version(req, m):
            return Reply(201, {"id": self.new_task(req.json()), "status": "starting"})

        @self.route("GET", r"/v1/predictions/(\w+)", "poll")
        def poll(req, m):
            task, done = self.tick(m.group(1))
            if not done:
                return Reply(200, {"id": m.group(1), "status": "processing"})
            return Reply(
                200, {"id": m.group(1), "status": "succeeded", "output": self.file_url(m.group(1))}
            )


class FakeSync(FakeTasks):
    """sync.so's "Create Generation with Files": multipart on POST /v2/generate, with the
    documented Idempotency-Key semantics (the same key returns the same generation)."""

    def __init__(self, video: Path) -> None:
        super().__init__(video)
        self.uploads: list[bytes] = []
        self.by_key: dict[str, str] = {}

        @self.route("POST", "/v2/generate", "submit")
        def submit(req, m):
            if not req.headers.get("x-api-key"):
                return Reply(401, {"error": "missing x-api-key"})
            key = req.headers.get("idempotency-key")
            if key is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{1,128}", key):
                return Reply(400, {"error": "INVALID_IDEMPOTENCY_KEY"})
            if key in self.by_key:
                return Reply(201, {"id": self.by_key[key], "status": "PENDING"})
            self.uploads.append(req.body)
            tid = self.new_task(
                {"content_type": req.headers.get("content-type"), "idempotency_key": key}
            )
            if key:
                self.by_key[key] = tid
            return Reply(201, {"id": tid, "status": "PENDING"})

        @self.route("GET", r"/v2/generate/(\w+)", "poll")
        def poll(req, m):
            task, done = self.tick(m.group(1))
            if not done:
                return Reply(200, {"id": m.group(1), "status": "PROCESSING"})
            if task["outcome"].get("reject"):
                return Reply(
                    200,
                    {"id": m.group(1), "status": "REJECTED", "error": task["outcome"]["reject"]},
                )
            return Reply(
                200,
                {"id": m.group(1), "status": "COMPLETED", "outputUrl": self.file_url(m.group(1))},
            )
