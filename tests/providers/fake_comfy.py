"""A ComfyUI server on 127.0.0.1 that behaves like the real one (ComfyUI 0.38 server.py /
execution.py) on what Reelgraph relies on: /object_info, /upload/image, /prompt with
validation (unknown classes, missing model files as value_not_in_list, unknown images as
custom_validation_failed), /queue with another client's job, /history, /view, /interrupt with
and without prompt_id, /queue delete, the websocket's progress messages, and a restart that
forgets everything. Outputs come as the save node would give them: SaveVideo (mp4),
SaveAnimatedWEBP, SaveImage batches, VHS gifs."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from PIL import Image

from tests.providers.fakes import FakeServer, Reply, Request

OBJECT_INFO = json.loads((Path(__file__).parent / "comfy" / "object_info.json").read_text())
MODEL_INPUTS = ("ckpt_name", "unet_name", "vae_name", "clip_name")
SPEECH = Path(__file__).resolve().parents[2] / "resources" / "media" / "speech_en.wav"


class FakeComfy(FakeServer):
    def __init__(
        self, video: Path, *, steps: int = 3, output: str = "video", frames: int = 6
    ) -> None:
        super().__init__()
        self.video, self.steps, self.output, self.frames = video, steps, output, frames
        self.object_info = json.loads(json.dumps(OBJECT_INFO))
        self.models: set[str] | None = None  # None: every model file is there
        self.uploads: list[bytes] = []
        self.inputs: set[str] = set()
        self.prompts: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []  # queue order
        self.interrupts: list[Any] = []
        self.deleted: list[str] = []
        self.files: dict[str, bytes] = {}
        self.sockets: dict[str, list[dict[str, Any]]] = {}
        self.closing = False

        @self.route("GET", "/object_info", "object_info")
        def object_info(req, m):
            return Reply(200, self.object_info)

        @self.route("POST", "/upload/image", "upload")
        def upload(req, m):
            self.uploads.append(req.body)
            name = f"rg_upload_{len(self.uploads)}.png"
            self.inputs.add(name)
            return Reply(200, {"name": name, "subfolder": "", "type": "input"})

        @self.route("POST", "/prompt", "submit")
        def submit(req, m):
            body = req.json()
            graph = body.get("prompt") or {}
            errors = self.validate(graph)
            if errors:
                return Reply(
                    400,
                    {
                        "error": {
                            "type": "prompt_outputs_failed_validation",
                            "message": "Prompt outputs failed validation",
                            "details": "",
                            "extra_info": {},
                        },
                        "node_errors": errors,
                    },
                )
            pid = str(uuid.uuid4())
            self.prompts[pid] = {
                "graph": graph,
                "client": body.get("client_id"),
                "state": "pending",
                "ticks": 0,
            }
            self.order.append(pid)
            return Reply(200, {"prompt_id": pid, "number": len(self.order), "node_errors": {}})

        @self.route("GET", "/queue", "queue_get")
        def queue_get(req, m):
            self.tick()
            item = lambda pid: [1, pid, {}, {"client_id": self.prompts[pid]["client"]}, []]  # noqa: E731
            return Reply(
                200,
                {
                    "queue_running": [
                        item(p) for p in self.order if self.prompts[p]["state"] == "running"
                    ],
                    "queue_pending": [
                        item(p) for p in self.order if self.prompts[p]["state"] == "pending"
                    ],
                },
            )

        @self.route("POST", "/queue", "queue_post")
        def queue_post(req, m):
            for pid in req.json().get("delete", []):
                if pid in self.prompts and self.prompts[pid]["state"] == "pending":
                    self.deleted.append(pid)
                    self.order.remove(pid)
                    del self.prompts[pid]
            return Reply(200, b"")

        @self.route("POST", "/interrupt", "interrupt")
        def interrupt(req, m):
            body = req.json() if req.body else {}
            self.interrupts.append(body.get("prompt_id") if isinstance(body, dict) else None)
            target = body.get("prompt_id") if isinstance(body, dict) else None
            for pid in list(self.order):
                p = self.prompts[pid]
                if p["state"] == "running" and (target is None or target == pid):
                    p["state"] = "interrupted"
            return Reply(200, b"")

        @self.route("GET", r"/history/([\w-]+)", "poll")
        def history(req, m):
            self.tick()
            pid = m.group(1)
            p = self.prompts.get(pid)
            if p is None or p["state"] in ("pending", "running"):
                return Reply(200, {})
            if p["state"] == "interrupted":
                status = {
                    "status_str": "error",
                    "completed": False,
                    "messages": [
                        ["execution_start", {"prompt_id": pid}],
                        ["execution_interrupted", {"prompt_id": pid, "node_id": "3"}],
                    ],
                }
                return Reply(
                    200, {pid: {"prompt": [], "outputs": {}, "status": status, "meta": {}}}
                )
            return Reply(
                200,
                {
                    pid: {
                        "prompt": [],
                        "outputs": self.outputs(pid),
                        "meta": {},
                        "status": {"status_str": "success", "completed": True, "messages": []},
                    }
                },
            )

        @self.route("GET", "/view", "view")
        def view(req, m):
            q = parse_qs(urlsplit(req.path).query)
            key = f"{q.get('type', ['output'])[0]}/{q.get('subfolder', [''])[0]}/{q.get('filename', [''])[0]}"
            if key not in self.files:
                return Reply(404, {"error": f"no file {key}"})
            return Reply(200, self.files[key])

    # -- behaviour ------------------------------------------------------------------------------------------
    def validate(self, graph: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        for nid, node in graph.items():
            cls = node.get("class_type")
            errs = []
            if cls not in self.object_info:
                return {
                    nid: {
                        "errors": [
                            {
                                "type": "missing_node_type",
                                "message": f"Node '{cls}' not found",
                                "details": "",
                                "extra_info": {},
                            }
                        ],
                        "class_type": cls,
                    }
                }
            for name in MODEL_INPUTS:
                value = node["inputs"].get(name)
                if isinstance(value, str) and self.models is not None and value not in self.models:
                    errs.append(
                        {
                            "type": "value_not_in_list",
                            "message": "Value not in list",
                            "details": f"{name}: '{value}' not in {sorted(self.models)}",
                            "extra_info": {
                                "input_name": name,
                                "input_config": None,
                                "received_value": value,
                            },
                        }
                    )
            if cls == "LoadImage" and node["inputs"].get("image") not in self.inputs:
                errs.append(
                    {
                        "type": "custom_validation_failed",
                        "message": "Custom validation failed for node",
                        "details": f"image - Invalid image file: {node['inputs'].get('image')}",
                        "extra_info": {"input_name": "image"},
                    }
                )
            if errs:
                errors[nid] = {"errors": errs, "dependent_outputs": [], "class_type": cls}
        return errors

    def tick(self) -> None:
        """Time passes: the first pending prompt starts when nothing runs; a running one takes
        ``steps`` ticks (progress goes to its client's websocket), then finishes."""
        with self.lock:
            running = [p for p in self.order if self.prompts[p]["state"] == "running"]
            if not running:
                pending = [p for p in self.order if self.prompts[p]["state"] == "pending"]
                if pending:
                    self.prompts[pending[0]]["state"] = "running"
                    running = [pending[0]]
            for pid in running:
                p = self.prompts[pid]
                p["ticks"] += 1
                self.send(
                    p["client"], {"type": "executing", "data": {"node": "3", "prompt_id": pid}}
                )
                self.send(
                    p["client"],
                    {
                        "type": "progress",
                        "data": {
                            "value": min(p["ticks"], self.steps),
                            "max": self.steps,
                            "prompt_id": pid,
                            "node": "3",
                        },
                    },
                )
                if p["ticks"] > self.steps:
                    p["state"] = "done"
                    self.order.remove(pid)
                    self.send(
                        p["client"], {"type": "executing", "data": {"node": None, "prompt_id": pid}}
                    )

    def __exit__(self, *exc: Any) -> None:
        self.closing = True
        super().__exit__(*exc)

    def restart(self) -> None:
        """A ComfyUI restart: queue and history live in memory."""
        with self.lock:
            self.prompts.clear()
            self.order.clear()

    def add_other_client_job(self) -> str:
        pid = str(uuid.uuid4())
        self.prompts[pid] = {
            "graph": {},
            "client": "someone-else",
            "state": "running",
            "ticks": -10_000,
        }
        self.order.insert(0, pid)
        return pid

    def outputs(self, pid: str) -> dict[str, Any]:
        graph = self.prompts[pid]["graph"]
        save = next(
            (
                n
                for n, v in graph.items()
                if v.get("class_type")
                in ("SaveVideo", "SaveAnimatedWEBP", "SaveImage", "VHS_VideoCombine")
            ),
            "99",
        )
        tag = pid[:8]
        if self.output == "video+audio":  # SaveVideo of the picture and SaveAudio of the sound
            self.files[f"output/video/{tag}.mp4"] = self.video.read_bytes()
            self.files[f"output/audio/{tag}.wav"] = SPEECH.read_bytes()
            return {
                save: {
                    "images": [{"filename": f"{tag}.mp4", "subfolder": "video", "type": "output"}],
                    "animated": [True],
                },
                "60": {
                    "audio": [{"filename": f"{tag}.wav", "subfolder": "audio", "type": "output"}]
                },
            }
        if self.output == "video":
            self.files[f"output/video/{tag}.mp4"] = self.video.read_bytes()
            return {
                save: {
                    "images": [{"filename": f"{tag}.mp4", "subfolder": "video", "type": "output"}],
                    "animated": [True],
                }
            }
        if self.output == "gifs":
            self.files[f"output//{tag}.mp4"] = self.video.read_bytes()
            return {
                save: {
                    "gifs": [
                        {
                            "filename": f"{tag}.mp4",
                            "subfolder": "",
                            "type": "output",
                            "format": "video/h264-mp4",
                            "frame_rate": 24,
                        }
                    ]
                }
            }
        frames = [
            Image.fromarray(np.full((64, 96, 3), (40 * i) % 255, np.uint8))
            for i in range(self.frames)
        ]
        if self.output == "webp":
            buf = io.BytesIO()
            frames[0].save(
                buf,
                format="WEBP",
                save_all=True,
                append_images=frames[1:],
                duration=125,
                lossless=True,
            )
            self.files[f"output//{tag}.webp"] = buf.getvalue()
            return {
                save: {
                    "images": [{"filename": f"{tag}.webp", "subfolder": "", "type": "output"}],
                    "animated": [True],
                }
            }
        entries = []
        for i, f in enumerate(frames):  # SaveImage: one PNG per frame of the batch
            buf = io.BytesIO()
            f.save(buf, format="PNG")
            name = f"{tag}_{i:05d}_.png"
            self.files[f"output//{name}"] = buf.getvalue()
            entries.append({"filename": name, "subfolder": "", "type": "output"})
        return {
            "9": {"images": [{"filename": "x.png", "subfolder": "", "type": "temp"}]},
            save: {"images": entries},
        }

    # -- websocket ----------------------------------------------------------------------------------------
    def send(self, client: str | None, msg: dict[str, Any]) -> None:
        if client is not None:
            self.sockets.setdefault(client, []).append(msg)

    def websocket(self, handler: Any, req: Request) -> None:
        client = parse_qs(urlsplit(req.path).query).get("clientId", [""])[0]
        accept = base64.b64encode(
            hashlib.sha1(
                (req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()
            ).digest()
        ).decode()
        handler.send_response(101)
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        self.send(
            client,
            {
                "type": "status",
                "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client},
            },
        )
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and not self.closing:
                queued = self.sockets.get(client) or []
                while queued:
                    data = json.dumps(queued.pop(0)).encode()
                    head = b"\x81" + (
                        bytes([len(data)])
                        if len(data) < 126
                        else b"\x7e" + struct.pack(">H", len(data))
                    )
                    handler.wfile.write(head + data)
                    handler.wfile.flush()
                time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
