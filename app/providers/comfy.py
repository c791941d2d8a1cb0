"""The user's own GPU through a ComfyUI server: a template (an "Export (API)" workflow plus its
mapping, app.providers.comfy_templates) filled with the request, checked against the server's
/object_info, queued, followed over the websocket (progress) and /history, and its outputs
turned into a video whatever the save node (video files as they are, animated WebP/PNG and
image batches encoded at the shot's rate). Protocol facts: ComfyUI's server.py / execution.py."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import mimetypes
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from app.core.errors import NodeError
from app.core.limits import limit
from app.core.validate import BASE_DIR
from app.media.images import load_image
from app.media.video import VideoWriter, iter_frames, probe
from app.providers import comfy_templates as ct
from app.providers.base import GenerateJob, GenerateRequest
from app.providers.catalog import catalog
from app.providers.generic import fill, values_for
from app.providers.http import Http, ProviderError, SubmitUncertain
from app.providers.journal import Job
from app.providers.remote import RemoteBackend, Status, timing
from app.providers.settings import base_url, get_key

log = logging.getLogger("reelgraph.providers")
VIDEO_FILES = (".mp4", ".webm", ".mov", ".mkv", ".gif", ".avi")
AUDIO_FILES = (".wav", ".flac", ".mp3", ".opus", ".ogg", ".m4a", ".aac")
ANIMATED_IMAGES = (".webp", ".png", ".apng")


def node_errors_text(errors: Any, graph: dict[str, Any] | None = None) -> str:
    """ComfyUI's node_errors in plain words: "node 52 (LoadImage) input 'image': Invalid image
    file: x.png"; missing model files listed with the folder they belong in."""
    lines, models = [], []
    for node_id, entry in (errors or {}).items() if isinstance(errors, dict) else []:
        cls = (
            (entry or {}).get("class_type")
            or (graph or {}).get(node_id, {}).get("class_type")
            or "?"
        )
        for err in (entry or {}).get("errors", []) if isinstance(entry, dict) else []:
            name = (err.get("extra_info") or {}).get("input_name") or ""
            folder = ct.CLASS_FOLDERS.get(cls) or ct.MODEL_FOLDERS.get(name)
            if err.get("type") == "value_not_in_list" and (
                name in ct.MODEL_FOLDERS or cls in ct.CLASS_FOLDERS
            ):
                wanted = (err.get("extra_info") or {}).get("received_value") or err.get(
                    "details", ""
                )
                models.append(f"{wanted} (ComfyUI/models/{folder}/, node {node_id} {cls})")
                continue
            detail = str(err.get("details") or "").split(" - ", 1)[-1] or err.get("message", "")
            where = f"node {node_id} ({cls})" + (f" input '{name}'" if name else "")
            lines.append(f"{where}: {detail or err.get('message', 'invalid')}")
    if models:
        lines.insert(0, "missing model files on the ComfyUI server: " + "; ".join(models))
    return "; ".join(lines)[:1500]


class Progress:
    """Listens on ComfyUI's websocket for one client id: step progress and the node running,
    per prompt. A daemon thread that ends when the prompt ends, the socket closes, or after
    an hour; progress is a comfort, so any failure just leaves it empty."""

    def __init__(self, ws_url: str, headers: dict[str, str]) -> None:
        self.state: dict[str, tuple[float | None, str]] = {}
        self.done: set[str] = set()
        # nodes to run per prompt (set by the backend), and those cached or finished: the bar
        # moves node by node where no node reports steps (most model-free nodes do not)
        self.total: dict[str, int] = {}
        self.finished: dict[str, set[str]] = {}
        self._step: dict[str, float] = {}
        self._thread = threading.Thread(
            target=self._listen, args=(ws_url, headers), daemon=True, name="reelgraph-comfy-ws"
        )
        self._thread.start()

    def _listen(self, url: str, headers: dict[str, str]) -> None:
        try:
            from websockets.sync.client import connect

            with connect(
                url, additional_headers=headers or None, open_timeout=5, max_size=2**22
            ) as ws:
                deadline = time.monotonic() + 3600
                while time.monotonic() < deadline and not self.done:  # one client id, one prompt
                    try:
                        msg = ws.recv(timeout=30)
                    except TimeoutError:
                        continue
                    if isinstance(msg, bytes):
                        continue  # preview frames
                    self._handle(json.loads(msg))
        except Exception as e:  # noqa: BLE001 - no progress is not an error
            log.info("ComfyUI websocket: %s", e)

    def _handle(self, msg: dict[str, Any]) -> None:
        kind, data = msg.get("type"), msg.get("data") or {}
        pid = data.get("prompt_id") if isinstance(data, dict) else None
        if not pid or pid not in self.total:
            return  # only the prompts this client queued or follows: a flood of others is ignored
        finished = self.finished.setdefault(pid, set())
        if kind == "progress" and data.get("max"):
            self._step[pid] = float(data["value"]) / float(data["max"])
            self.state[pid] = (
                self._fraction(pid),
                f"node {data.get('node')}: step {data['value']}/{data['max']}",
            )
        elif kind == "execution_cached":
            finished.update(str(n) for n in data.get("nodes") or [])
            self.state[pid] = (self._fraction(pid), self.state.get(pid, (None, ""))[1])
        elif kind == "executing" and data.get("node") is not None:
            running = self.state.get(pid, (None, ""))[1]
            if running.startswith("running node "):
                finished.add(running.removeprefix("running node "))  # the one before has finished
            self._step[pid] = 0.0
            self.state[pid] = (self._fraction(pid), f"running node {data['node']}")
        elif kind in ("execution_success", "execution_error", "execution_interrupted") or (
            kind == "executing" and data.get("node") is None
        ):
            self.done.add(pid)

    def _fraction(self, pid: str) -> float | None:
        total = self.total.get(pid)
        if not total:
            return self._step.get(pid)
        done = len(self.finished.get(pid, ()))
        return min(0.99, (done + self._step.get(pid, 0.0)) / total)


def nodes_to_run(graph: dict[str, Any], output: str | None) -> int:
    """How many nodes ComfyUI will execute: those the output nodes (the chosen one, and other
    Save*/Preview* nodes no one reads) depend on."""
    inputs = {
        nid: [v[0] for v in (n.get("inputs") or {}).values() if isinstance(v, list) and len(v) == 2]
        for nid, n in graph.items()
        if isinstance(n, dict)
    }
    read = {str(src) for srcs in inputs.values() for src in srcs}
    outs = {
        nid
        for nid in inputs
        if nid not in read and str(graph[nid].get("class_type", "")).startswith(("Save", "Preview"))
    } | ({output} & set(inputs))
    seen: set[str] = set()
    todo = list(outs)
    while todo:
        nid = str(todo.pop())
        if nid in seen or nid not in inputs:
            continue
        seen.add(nid)
        todo.extend(str(s) for s in inputs[nid])
    return len(seen)


class ComfyUIBackend(RemoteBackend):
    name = "comfyui"
    title = "ComfyUI"
    poll_interval = 1.0
    supports_cancel = True

    def __init__(self) -> None:
        self._progress: dict[str, Progress] = {}
        self._lock = threading.Lock()

    # -- catalog and keys -----------------------------------------------------------------------------------
    def key(self) -> dict[str, str] | None:
        return {}  # a local server needs no key (a token, when set, is sent as a Bearer header)

    def key_problem(self) -> list[tuple[str | None, str]]:
        return []

    def headers(self) -> dict[str, str]:
        token = get_key("comfyui")
        return {"Authorization": f"Bearer {token['api_key']}"} if token else {}

    def models(self) -> list[str]:
        return ct.names()

    def http(self, job: GenerateJob) -> Http:
        """An unreachable server is said within seconds: a short connect timeout, few retries."""
        return Http(
            base_url(self.name, self.default_base),
            self.headers,
            cancel=job.cancel,
            name=self.title,
            max_retries=2,
            backoff=min(0.5, timing()["backoff"]),
            timeout=httpx.Timeout(connect=3.0, read=timing()["read_timeout"], write=60.0, pool=5.0),
        )

    def check(self, connected: frozenset[str], params: Any) -> list[tuple[str | None, str]]:
        base = BASE_DIR.get()  # where a comfyui/ folder beside the workflow would be
        if not params.model:
            have = ", ".join(ct.names(base))
            return [
                (
                    "param 'model'",
                    f"pick the ComfyUI template to run ({have})"
                    if have
                    else "add a ComfyUI workflow first (Add ComfyUI workflow..., "
                    "or `reelgraph comfyui add wf_api.json`)",
                )
            ]
        problems = super().check(connected, params)
        if problems:
            return problems
        try:
            t = ct.load(params.model, base)
        except ct.TemplateError as e:
            if base is None and ct.find(params.model) is None:
                return []  # no workflow folder to look in: looked up (and checked) when the node runs
            import difflib

            near = difflib.get_close_matches(params.model, ct.names(base), n=3)
            return [
                (
                    "param 'model'",
                    str(e)
                    + (
                        f"; did you mean {', '.join(near)}?"
                        if near
                        else f"; the templates: {', '.join(ct.names(base)) or 'none yet'}"
                    ),
                )
            ]
        except NodeError as e:
            return [("param 'model'", str(e))]
        return [
            ("param 'model'", f"template {params.model}: {p}")
            for p in self._template_problems(t, connected)
        ]

    def _template_problems(self, t: ct.Template, connected: frozenset[str]) -> list[str]:
        out = ct.problems(t)
        if t.mapping.get("image") and "image" not in connected:
            # else the picture left in the export (ComfyUI's example.png) is animated, silently
            out.append(
                "it takes a start frame (its 'image' mapping) but none is connected: connect an image to "
                "the generator's 'image' input"
            )
        wanted = set(ct.ALWAYS_SET) | {r for r in ("image", "end_image") if r in connected}
        for role in ct.missing(t, wanted):
            out.append(
                f"it maps no '{role}', so the {role.replace('_', ' ')} you set would be ignored; map it in "
                f'{t.path or "its file"} ("mapping": {{"{role}": [[node id, input]]}}) or add the export '
                "again with `reelgraph comfyui add`"
            )
        return out

    # -- request ------------------------------------------------------------------------------------------
    def translate(self, req: GenerateRequest, job: GenerateJob) -> dict[str, Any]:
        try:
            t = ct.load(req.model, job.base_dir)
        except ct.TemplateError as e:
            raise NodeError(str(e), field="param 'model'") from None
        connected = frozenset(
            n for n, v in (("image", req.image), ("end_image", req.end_image)) if v is not None
        )
        problems = self._template_problems(t, connected)
        if problems:
            raise NodeError(f"ComfyUI template {t.name}: {problems[0]}", field="param 'model'")
        values = values_for(req)
        frames = t.snap_frames(int(values["frames"]))
        if t.frames and frames != values["frames"]:
            job.info.setdefault("notes", []).append(
                f"ComfyUI template {t.name} takes {t.frames['step']}n+{t.frames['offset']} frames: sent {frames} "
                f"({frames / req.fps:.2f} s) for {values['frames']}"
            )
        values["frames"] = frames
        return {
            "model": req.model,
            "template": t,
            "values": values,
            "image": req.image,
            "end_image": req.end_image,
        }

    def prepare(self, http: Http, body: dict[str, Any], job: GenerateJob) -> dict[str, Any]:
        t: ct.Template = body["template"]
        object_info = self._object_info(http)
        if object_info is not None:
            problems = ct.problems(t, object_info)
            if problems:
                raise NodeError(
                    f"ComfyUI template {t.name} does not fit this server: {'; '.join(problems)[:800]}",
                    field="param 'model'",
                )
        values = dict(body["values"])
        for name in ("image", "end_image"):
            if body.get(name) is not None:
                path = body[name]
                content = path.read_bytes()
                # named by content: the same still is one file in ComfyUI's input folder, however
                # many shots and seeds use it
                upload = f"rg_{hashlib.sha256(content).hexdigest()[:16]}{path.suffix.lower()}"
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                data = http.json(
                    "POST",
                    "/upload/image",
                    files={"image": (upload, content, kind)},
                    data={"overwrite": "true"},
                    classify=self.classify,
                )
                values[name] = (
                    f"{data['subfolder']}/{data['name']}"
                    if data.get("subfolder")
                    else data.get("name")
                )
        graph = fill(copy.deepcopy(t.workflow), {k: v for k, v in values.items() if v is not None})
        for role, targets in t.mapping.items():
            if values.get(role) is None:
                continue
            for node_id, name in targets:
                graph[node_id]["inputs"][name] = values[role]
        return {
            "model": body["model"],
            "graph": graph,
            "seeds": t.mapping.get("seed", []),
            "output": t.output,
            "fps": values["fps"],
        }

    def _object_info(self, http: Http) -> dict[str, Any] | None:
        try:
            data = http.json("GET", "/object_info", classify=self.classify)
        except ProviderError as e:
            if e.status == 404:
                return None  # an old server: the mapping is checked against the graph only
            raise
        return data if isinstance(data, dict) else None

    def body_for_take(
        self, body: dict[str, Any], req: GenerateRequest, take: int
    ) -> dict[str, Any]:
        if take == 1 or not body.get("seeds"):
            return body
        graph = copy.deepcopy(body["graph"])
        for node_id, name in body["seeds"]:
            graph[node_id]["inputs"][name] = req.seed + take - 1
        return dict(body, graph=graph)

    def submit(self, http: Http, body: dict[str, Any], job: Job) -> tuple[str, dict[str, Any]]:
        self._listen(http, job.client_id)
        data = http.json(
            "POST",
            "/prompt",
            json={"prompt": body["graph"], "client_id": job.client_id},
            submit=True,
            classify=lambda r: self.classify(r, body["graph"]),
        )
        if isinstance(data, dict) and data.get("node_errors"):
            raise ProviderError(
                f"ComfyUI refused the workflow: {node_errors_text(data['node_errors'], body['graph'])}"
            )
        if not isinstance(data, dict) or not isinstance(data.get("prompt_id"), (str, int)):
            raise SubmitUncertain(
                f"ComfyUI's answer to the prompt has no prompt_id: {str(data)[:200]}"
            )
        pid = str(data["prompt_id"])
        self._progress[job.client_id].total[pid] = nodes_to_run(body["graph"], body.get("output"))
        return pid, {"output": body.get("output"), "fps": body.get("fps")}

    def classify(
        self, resp: httpx.Response, graph: dict[str, Any] | None = None
    ) -> ProviderError | None:
        if resp.status_code == 400:
            try:
                doc = resp.json()
            except ValueError:
                doc = None
            if isinstance(doc, dict):
                err = doc.get("error") or {}
                text = node_errors_text(doc.get("node_errors"), graph) or (
                    err.get("message", "")
                    + (f": {err.get('details')}" if err.get("details") else "")
                )
                return ProviderError(f"ComfyUI refused the workflow: {text}", status=400)
        return super().classify(resp)

    # -- following ------------------------------------------------------------------------------------------
    def _listen(self, http: Http, client_id: str) -> None:
        with self._lock:
            if client_id in self._progress:
                return
            url = httpx.URL(http.base_url)
            ws = url.copy_with(
                scheme="wss" if url.scheme == "https" else "ws",
                path=url.path.rstrip("/") + "/ws",
                params={"clientId": client_id},
            )
            self._progress[client_id] = Progress(str(ws), self.headers())

    def status(self, http: Http, job: Job) -> Status:
        pid = job.provider_id or ""
        entry = self._history(http, pid)
        if entry is None:
            queue = http.json("GET", "/queue", classify=self.classify)
            running = [
                str(i[1])
                for i in (queue or {}).get("queue_running", [])
                if isinstance(i, list) and len(i) > 1
            ]
            pending = [
                str(i[1])
                for i in (queue or {}).get("queue_pending", [])
                if isinstance(i, list) and len(i) > 1
            ]
            if pid in running or pid in pending:
                self._listen(http, job.client_id)
                self._progress[job.client_id].total.setdefault(
                    pid, 0
                )  # a resumed job is followed too
                fraction, detail = self._progress[job.client_id].state.get(pid, (None, ""))
                where = (
                    "running"
                    if pid in running
                    else f"queued ({pending.index(pid) + 1} ahead of it)"
                )
                return Status("running", fraction, detail or where)
            entry = self._history(http, pid)  # it may have finished between the two answers
            if entry is None:
                return Status(
                    "failed",
                    None,
                    "ComfyUI no longer has this job (it was deleted from the queue, or the "
                    "server restarted); run again to queue it anew",
                )
        st = entry.get("status") or {}
        if st.get("status_str") == "error":
            msgs = [
                m
                for m in st.get("messages", [])
                if isinstance(m, list)
                and m
                and m[0] in ("execution_error", "execution_interrupted")
            ]
            if msgs and msgs[0][0] == "execution_interrupted":
                return Status("cancelled", None, "interrupted on the ComfyUI server")
            data = msgs[0][1] if msgs else {}
            why = (
                f"node {data.get('node_id')} ({data.get('node_type')}): {data.get('exception_message')}"
                if data
                else "execution error"
            )
            return Status("failed", None, f"ComfyUI: {why}".strip())
        return self._outputs(http, job, entry)

    def _history(self, http: Http, pid: str) -> dict[str, Any] | None:
        hist = http.json("GET", f"/history/{pid}", classify=self.classify)
        entry = hist.get(pid) if isinstance(hist, dict) else None
        return entry if isinstance(entry, dict) else None

    def _outputs(self, http: Http, job: Job, entry: dict[str, Any]) -> Status:
        outputs = entry.get("outputs") or {}
        chosen = job.urls.get("output")
        order = ([chosen] if chosen in outputs else []) + sorted(n for n in outputs if n != chosen)
        for node_id in order:
            out = outputs[node_id] or {}
            files = [
                f
                for key in ("videos", "gifs", "images")
                for f in out.get(key, [])
                if isinstance(f, dict)
            ]
            if chosen in outputs and node_id != chosen:
                break
            if not files:
                continue
            # a separate audio output (SaveAudio) goes into the shot too
            sounds = [
                f
                for n in outputs
                for f in (outputs[n] or {}).get("audio", [])
                if isinstance(f, dict)
            ][:1]
            urls = [
                str(
                    httpx.URL(
                        f"{http.base_url}/view",
                        params={
                            "filename": f["filename"],
                            "subfolder": f.get("subfolder", ""),
                            "type": f.get("type", "output"),
                        },
                    )
                )
                for f in files + sounds
            ]
            return Status("done", 1.0, "", urls, {"comfy_output": node_id})
        return Status(
            "failed",
            None,
            "ComfyUI finished without an output file (the template needs a SaveVideo, "
            "SaveAnimatedWEBP or SaveImage node)",
        )

    def cancel(self, http: Http, job: Job) -> None:
        """Ours only: a queued prompt is deleted from the queue; a running one is interrupted by
        its prompt_id (never a global interrupt that would stop another client's job)."""
        queue = http.json("GET", "/queue", classify=self.classify)
        running = [
            str(i[1])
            for i in (queue or {}).get("queue_running", [])
            if isinstance(i, list) and len(i) > 1
        ]
        if job.provider_id in running:
            http.request(
                "POST", "/interrupt", json={"prompt_id": job.provider_id}, classify=self.classify
            )
        else:
            http.request(
                "POST", "/queue", json={"delete": [job.provider_id]}, classify=self.classify
            )

    def download_headers(self) -> dict[str, str]:
        return self.headers()

    # -- results -----------------------------------------------------------------------------------------------
    def _download(self, http: Http, journal, j: Job, job: GenerateJob, take: int) -> Path:
        """The output as a video with its real extension; animated images and image batches are
        encoded at the shot's rate (lossless), so a template ending in SaveImage still gives a shot."""
        headers = self.download_headers() or None
        names = [httpx.URL(u).params.get("filename", f"out_{i}") for i, u in enumerate(j.outputs)]
        parts = []
        for i, (url, name) in enumerate(zip(j.outputs, names, strict=True)):
            suffix = Path(name).suffix.lower() or ".bin"
            dest = job.work_dir / f"take_{take:02d}_part{i:04d}{suffix}"
            tmp = dest.with_suffix(dest.suffix + ".part")
            self.fetch(http, j, url, tmp, headers)
            tmp.replace(dest)
            parts.append(dest)
        fps = float(j.urls.get("fps") or 24.0)
        sound = next((p for p in parts if p.suffix.lower() in AUDIO_FILES), None)
        result = frames_to_video(
            [p for p in parts if p != sound], job.work_dir / f"take_{take:02d}", fps, sound
        )
        journal.update(j, state="downloaded")
        return result


def frames_to_video(parts: list[Path], stem: Path, fps: float, sound: Path | None = None) -> Path:
    """One video from what a ComfyUI output node saved: a video file kept as it is (with its
    real extension), an animated WebP/PNG decoded with Pillow, or an image batch, encoded
    losslessly at ``fps``; a separate sound track is muxed in (the video is then re-encoded
    losslessly with it)."""
    from PIL import Image, ImageSequence

    first = parts[0]
    if len(parts) == 1 and first.suffix.lower() in VIDEO_FILES and sound is not None:
        meta = probe(first)
        dest = stem.with_suffix(".mkv")
        with VideoWriter(
            dest,
            meta.width - meta.width % 2,
            meta.height - meta.height % 2,
            meta.fps,
            audio=sound,
            audio_seconds=meta.duration,
        ) as writer:
            for frame in iter_frames(first):
                writer.write(frame[: meta.height - meta.height % 2, : meta.width - meta.width % 2])
        first.unlink(missing_ok=True)
        sound.unlink(missing_ok=True)
        return dest
    if len(parts) == 1 and first.suffix.lower() in VIDEO_FILES:
        dest = stem.with_suffix(first.suffix.lower())
        first.replace(dest)
        meta = probe(dest)  # what PyAV cannot decode fails here, named
        if meta.frames < 1 or meta.width < 2:
            raise NodeError(f"ComfyUI's {first.name} has no readable frames")
        return dest
    frames_src: Any = []
    most = limit("shot_seconds") * limit("fps")
    animated = None
    if len(parts) == 1 and first.suffix.lower() in ANIMATED_IMAGES:
        # decoded frame by frame while encoding (a long animation never sits in memory whole),
        # its size and length checked before anything is decoded
        animated = Image.open(first)
        w0, h0 = animated.size
        count = int(getattr(animated, "n_frames", 1))
        if w0 * h0 > limit("frame_pixels") or count > most:
            animated.close()
            raise NodeError(
                f"ComfyUI's {first.name} is {w0}x{h0} with {count} frames; the limits are 8K and "
                f"{most} frames"
            )
        frames_src = (f.convert("RGB") for f in ImageSequence.Iterator(animated))
        animated.seek(0)
        animated.load()  # the frame's timing is known once it is loaded
        duration = animated.info.get("duration")
        # WebP/APNG store whole milliseconds per frame (24 fps is 41 ms): the asked rate when it
        # is what the file rounds to, else the file's own
        if duration and int(duration) not in (int(1000 / fps), round(1000 / fps)):
            fps = 1000.0 / float(duration)
    else:
        frames_src = [p for p in parts if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp")]
        if not frames_src:
            raise NodeError(
                f"ComfyUI returned {', '.join(p.name for p in parts)}: not a video or images"
            )
        if len(frames_src) > most:
            raise NodeError(
                f"ComfyUI returned {len(frames_src)} images; the limit is {most} frames"
            )
        count = len(frames_src)
    import numpy as np

    def bgr(item: Any) -> Any:
        if isinstance(item, Path):
            return load_image(item)
        return np.asarray(item)[:, :, ::-1].copy()

    items = iter(frames_src)
    try:
        first_frame = bgr(next(items))
        h, w = first_frame.shape[:2]
        dest = stem.with_suffix(".mkv")
        with VideoWriter(
            dest, w - w % 2, h - h % 2, fps, audio=sound, audio_seconds=count / fps
        ) as writer:
            for frame in itertools.chain([first_frame], (bgr(item) for item in items)):
                if frame.shape[:2] != (h, w):
                    raise NodeError(
                        "ComfyUI's images are not all the same size: cannot make one video of them"
                    )
                writer.write(np.ascontiguousarray(frame[: h - h % 2, : w - w % 2]))
    except StopIteration:
        raise NodeError(f"ComfyUI's {first.name} has no frames") from None
    finally:
        if animated is not None:
            animated.close()
    for p in [*parts, *([sound] if sound else [])]:
        p.unlink(missing_ok=True)
    return dest


def server_object_info() -> dict[str, Any] | None:
    """The configured ComfyUI server's node catalog, or None when it does not answer (adding a
    template then maps by node class only; the run checks against the server again)."""
    url = base_url("comfyui", catalog().backends["comfyui"].base_url)
    try:
        resp = httpx.get(f"{url}/object_info", timeout=httpx.Timeout(10.0, connect=2.0))
        data = resp.json() if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None
