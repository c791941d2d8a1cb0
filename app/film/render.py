"""Rendering a sequence: every shot's graph (cached shots are free), then the cut: each shot as
an MP4 with its sound, an OpenTimelineIO timeline of them in order (plus FCP XML and EDL), and
one MP4 of the whole cut.

Shots run on this machine, or on a Ray cluster (``ray``: "auto" starts a local one, an address
joins one): shots made only by the local engine go to Ray tasks across the cluster's CPUs; a
shot with a cloud job stays in this process, which owns the job journal, so nothing is paid
twice. Every worker reads and writes the same cache folder, keyed as on one machine, so a shot
rendered on the cluster is a cache hit in the editor."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from app.core import recipes
from app.core.cache import Cache
from app.core.context import CancelToken
from app.core.errors import NodeError, WorkflowError
from app.core.executor import Executor
from app.core.registry import Registry
from app.core.sequence import Sequence, Shot, apply_bible
from app.core.values import Value
from app.media import timeline
from app.media.video import VideoWriter, iter_frames, probe, read_audio

CUT_RATE = 48000
RAY_ENV = (
    "REELGRAPH_PLUGINS",
    "REELGRAPH_CACHE_DIR",
    "REELGRAPH_CONFIG_DIR",
    "REELGRAPH_LOG_DIR",
    "REELGRAPH_CACHE_LIMIT_GB",
)


@dataclass
class ShotResult:
    name: str
    status: str  # "ok", "failed", "cancelled"
    video: Path | None = None
    error: str = ""
    executed: list[str] = field(default_factory=list)
    where: str = "local"  # "local", "ray", or "driver" (a cloud shot kept with the journal)


@dataclass
class FilmResult:
    shots: list[ShotResult]
    cut: Path | None = None
    timeline: dict[str, Path | Exception] = field(default_factory=dict)
    clips: list[Path] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(s.status == "ok" for s in self.shots) and self.cut is not None


Progress = Callable[[str, str, str], None]  # shot name, state, message


def shot_video(
    wf: Any, outputs: dict[str, dict[str, Value]], output: str, registry: Registry, base_dir: Path
) -> Value | None:
    """The VIDEO a shot made (from a run's or the cache's outputs): its output node's, a recipe
    instance's through its inner node."""
    if output in outputs:
        vals = outputs[output]
    elif recipes.has_recipes(wf):
        inst = recipes.expand(wf, registry, base_dir).instances.get(output)
        vals = {}
        if inst is not None:
            for name, (src, port) in inst.outputs.items():
                if port in outputs.get(src, {}):
                    vals[name] = outputs[src][port]
    else:
        vals = {}
    for v in vals.values():
        if v.type.value == "VIDEO" or v.path.suffix.lower() in (
            ".mp4",
            ".mov",
            ".mkv",
            ".webm",
            ".rgshot",
        ):
            return v
    return None


def run_shot(
    shot_doc: dict[str, Any],
    base_dir: str,
    cache_dir: str,
    out_dir: str,
    plugins: str = "",
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """One shot, start to end, in whatever process runs it (this one, or a Ray worker): plain
    data in and out, so Ray can ship it."""
    if plugins:
        os.environ["REELGRAPH_PLUGINS"] = plugins
    from app.core.fileio import parse_workflow
    from app.core.registry import default_registry

    registry = default_registry()
    wf = parse_workflow(json.dumps(shot_doc["workflow"]), source=shot_doc["name"])
    ex = Executor(registry, Cache(Path(cache_dir)))
    try:
        result = ex.run(
            wf,
            base_dir=Path(base_dir),
            out_dir=Path(out_dir),
            targets=[shot_doc["output"]],
            cancel=cancel,  # Stop and Ctrl-C reach a shot rendering here
        )
    except WorkflowError as e:
        return {"status": "failed", "error": "; ".join(str(p) for p in e.problems)}
    if result.status != "ok":
        return {
            "status": result.status,
            "error": "; ".join(f"{k}: {v}" for k, v in result.errors.items()),
            "executed": result.executed,
        }
    video = shot_video(wf, result.outputs, shot_doc["output"], registry, Path(base_dir))
    if video is None:
        return {
            "status": "failed",
            "error": f"node {shot_doc['output']!r} made no video",
            "executed": result.executed,
        }
    return {
        "status": "ok",
        "video": str(video.path),
        "executed": result.executed,
        "host": socket.gethostname(),
    }


def _remote_shot(ex: Executor, wf: Any, base_dir: Path, output: str) -> bool:
    """Does the shot need a cloud job (kept with the driver and its journal)?"""
    try:
        run = ex.estimate(wf, base_dir=base_dir, targets=[output])
    except WorkflowError:
        return False
    return any(cost > 0 for cost in run.values())


def render_shots(
    seq: Sequence,
    seq_path: Path,
    registry: Registry,
    cache: Cache,
    out_dir: Path,
    *,
    ray: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> list[ShotResult]:
    say = progress or (lambda name, state, msg: None)
    cancel = cancel or CancelToken()
    base = seq_path.parent
    out_dir = out_dir / f"{file_stem(seq_path.stem)}_exports"  # what the shots' own exports write
    docs: list[tuple[Shot, dict[str, Any] | None, Path, str]] = []
    for shot in seq.shots:
        try:
            wf, folder = shot.load(base)
        except WorkflowError as e:
            where = f"{e.path}: " if getattr(e, "path", None) else ""
            docs.append((shot, None, base, where + "; ".join(str(p) for p in e.problems)))
            continue
        wf = apply_bible(wf, seq.bible, registry)
        docs.append(
            (
                shot,
                {"name": shot.name, "workflow": wf.to_json_dict(), "output": shot.output},
                folder,
                "",
            )
        )
    results: dict[str, ShotResult] = {}
    for shot, doc, _, error in docs:
        if doc is None:
            results[shot.name] = ShotResult(shot.name, "failed", error=error)
            say(shot.name, "failed", error)
    plugins = os.environ.get("REELGRAPH_PLUGINS", "")
    if ray:
        _render_on_ray(docs, results, registry, cache, out_dir, ray, say, cancel, plugins)
    else:
        for shot, doc, folder, _ in docs:
            if doc is None:
                continue
            if cancel.cancelled:
                results[shot.name] = ShotResult(shot.name, "cancelled")
                continue
            say(shot.name, "running", "")
            r = run_shot(doc, str(folder), str(cache.root), str(out_dir), plugins, cancel)
            results[shot.name] = _result(shot.name, r, "local")
            _said(say, results[shot.name])
    return [results[s.name] for s in seq.shots]


def _said(say: Progress, r: ShotResult) -> None:
    if r.status == "ok" and not r.executed:
        say(r.name, "cached", "")
    else:
        say(r.name, r.status, r.error)


def _result(name: str, r: dict[str, Any], where: str) -> ShotResult:
    return ShotResult(
        name,
        r.get("status", "failed"),
        Path(r["video"]) if r.get("video") else None,
        r.get("error", ""),
        list(r.get("executed", [])),
        where,
    )


def worker_env() -> dict[str, str]:
    """What Ray workers get of this process's environment: Reelgraph's folders and plugins,
    never a provider key (cloud shots stay here, with the journal)."""
    return {k: v for k, v in os.environ.items() if k in RAY_ENV}


class ClusterError(Exception):
    """The Ray cluster cannot render these shots (not reachable, or it cannot see the cache)."""


def _render_on_ray(docs, results, registry, cache, out_dir, address, say, cancel, plugins) -> None:
    try:
        import ray
    except ImportError:
        raise ClusterError("Ray is not installed: pip install 'reelgraph[ray]' (or ray)") from None
    env = worker_env()
    init_kw: dict[str, Any] = dict(
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": env},
        ignore_reinit_error=True,
    )
    started_here = not ray.is_initialized()
    try:
        if address == "auto":
            try:  # join a cluster already running on this machine, else start one
                ray.init(address="auto", **init_kw)
            except (ConnectionError, RuntimeError, ValueError):
                ray.init(**init_kw)
        else:
            ray.init(address=address, **init_kw)
    except Exception as e:  # noqa: BLE001 - Ray's own errors for a cluster it cannot reach
        raise ClusterError(f"cannot join the Ray cluster at {address}: {e}") from None
    try:
        _check_shared_cache(ray, cache.root)
        task = ray.remote(max_retries=3, retry_exceptions=False)(run_shot)
        ex = Executor(registry, cache)
        pending: dict[Any, str] = {}
        for shot, doc, folder, _ in docs:
            if doc is None:
                continue
            wf_obj = _parse(doc)
            if _remote_shot(ex, wf_obj, folder, shot.output):  # a paid job: here, with the journal
                say(shot.name, "running", "cloud job: rendered by this process")
                r = run_shot(doc, str(folder), str(cache.root), str(out_dir), plugins, cancel)
                results[shot.name] = _result(shot.name, r, "driver")
                say(shot.name, results[shot.name].status, results[shot.name].error)
                continue
            ref = task.remote(doc, str(folder), str(cache.root), str(out_dir), plugins)
            pending[ref] = shot.name
            say(shot.name, "running", "on the Ray cluster")
        while pending:
            if cancel.cancelled:
                for ref, name in pending.items():
                    ray.cancel(ref, force=True)
                    results[name] = ShotResult(name, "cancelled", where="ray")
                    say(name, "cancelled", "")
                break
            done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in done:
                name = pending.pop(ref)
                try:
                    r = ray.get(ref)
                except Exception as e:  # noqa: BLE001 - a task that failed for good, after its retries
                    r = {
                        "status": "failed",
                        "error": f"the Ray task failed: {type(e).__name__}: {e}",
                    }
                results[name] = _result(name, r, "ray")
                _said(say, results[name])
    finally:
        if started_here:
            ray.shutdown()


def _parse(doc: dict[str, Any]):
    from app.core.fileio import parse_workflow

    return parse_workflow(json.dumps(doc["workflow"]), source=doc["name"])


def _check_shared_cache(ray, root: Path) -> None:
    """Every worker must reach the cache folder: a marker written here is looked for there."""
    root.mkdir(parents=True, exist_ok=True)
    marker = root / f".shared-{uuid.uuid4().hex}"
    marker.write_text("reelgraph")
    try:
        nodes = [n for n in ray.nodes() if n.get("Alive")]

        def sees(path: str) -> tuple[str, bool]:
            return socket.gethostname(), Path(path).is_file()

        probe_task = ray.remote(num_cpus=0)(sees)
        answers = ray.get(
            [probe_task.remote(str(marker)) for _ in range(max(1, len(nodes)))], timeout=120
        )
        blind = sorted({host for host, ok in answers if not ok})
        if blind:
            raise ClusterError(
                f"the Ray worker(s) on {', '.join(blind)} cannot see the cache folder {root}: put it on "
                "a path every machine mounts (REELGRAPH_CACHE_DIR or --cache-dir)"
            )
    finally:
        marker.unlink(missing_ok=True)


# -- the cut -------------------------------------------------------------------------------------


def _audio_of(path: Path, seconds: float) -> np.ndarray:
    """A clip's sound at the cut's rate, exactly ``seconds`` long (silence where it has none)."""
    n = int(round(seconds * CUT_RATE))
    try:
        samples = (
            read_audio(path, rate=CUT_RATE) if probe(path).has_audio else np.zeros(0, np.float32)
        )
    except NodeError:
        samples = np.zeros(0, np.float32)
    out = np.zeros(n, np.float32)
    out[: min(n, len(samples))] = samples[:n]
    return out


def _fitted(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The frame inside ``size``, its shape kept (black bars where the shapes differ)."""
    import cv2

    h, w = frame.shape[:2]
    if (w, h) == size:
        return frame
    scale = min(size[0] / w, size[1] / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(
        frame, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    out = np.zeros((size[1], size[0], 3), np.uint8)
    x, y = (size[0] - nw) // 2, (size[1] - nh) // 2
    out[y : y + nh, x : x + nw] = small[:, :, :3]
    return out


def write_cut(
    seq: Sequence,
    shots: list[ShotResult],
    out_dir: Path,
    *,
    stem: str | None = None,
    progress: Progress | None = None,
) -> FilmResult:
    """Each rendered shot as an MP4 with its sound, the timeline of them in order, and the cut:
    one MP4 of them back to back at the first shot's size and rate (another rate is retimed,
    another shape letterboxed, so picture and sound stay together). Written only when every
    shot rendered: a failed shot never leaves a cut without it in place of the last good one."""
    from app.media.encode import export

    say = progress or (lambda name, state, msg: None)
    result = FilmResult(shots)
    if not shots or any(s.status != "ok" or s.video is None for s in shots):
        return result
    stem = stem or file_stem(seq.name)
    clip_dir = out_dir / f"{stem}_shots"
    clip_dir.mkdir(parents=True, exist_ok=True)
    clips: list[timeline.Clip] = []
    for s in shots:
        assert s.video is not None
        say(s.name, "cutting", "encoding the shot for the timeline")
        dest = clip_dir / f"{file_stem(s.name)}.mp4"
        try:
            export(s.video, dest, "mp4", crf=18, preset="veryfast")
        except NodeError as e:  # an odd frame size, a damaged file: this shot fails, no cut
            s.status, s.error = "failed", f"cannot encode it for the cut: {e}"
            say(s.name, "failed", s.error)
            return result
        meta = probe(dest)
        clips.append(timeline.Clip(s.name, dest, meta.frames, meta.fps, meta.has_audio))
        result.clips.append(dest)
    tl = timeline.build(seq.name, clips)
    result.timeline = timeline.write_all(tl, out_dir, stem)
    first = probe(result.clips[0])
    size, fps = (first.width - first.width % 2, first.height - first.height % 2), first.fps
    pieces, counts = [], []
    for c in result.clips:
        m = probe(c)
        n = max(1, round(m.frames / m.fps * fps))  # the clip's length at the cut's rate
        counts.append(n)
        pieces.append(_audio_of(c, n / fps))
    sound = np.concatenate(pieces)
    wav = out_dir / f".{stem}_cut.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(CUT_RATE)
        w.writeframes((np.clip(sound, -1, 1) * 32767).astype("<i2").tobytes())
    cut = out_dir / f"{stem}_cut.mp4"
    try:
        with VideoWriter(
            cut,
            size[0],
            size[1],
            fps,
            codec="libx264",
            pix_fmt="yuv420p",
            options={"crf": "20", "preset": "veryfast"},
            audio=wav,
            audio_codec="aac",
            audio_seconds=len(sound) / CUT_RATE,
        ) as writer:
            for clip, n in zip(result.clips, counts, strict=True):
                m = probe(clip)
                step = m.fps / fps  # source frames per cut frame
                k, last = 0, None
                for i, frame in enumerate(iter_frames(clip)):
                    last = frame
                    while k < n and int(k * step) <= i:
                        writer.write(_fitted(frame, size))
                        k += 1
                while k < n and last is not None:  # a clip shorter than its header says
                    writer.write(_fitted(last, size))
                    k += 1
    finally:
        wav.unlink(missing_ok=True)
    result.cut = cut
    return result


def file_stem(name: str) -> str:
    """A name made safe as a file name (the sequence's and its shots')."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.")[:80] or "film"


def render_film(
    seq: Sequence,
    seq_path: Path,
    registry: Registry,
    cache: Cache,
    out_dir: Path,
    *,
    ray: str | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> FilmResult:
    t0 = time.monotonic()
    out_dir.mkdir(parents=True, exist_ok=True)
    shots = render_shots(
        seq, seq_path, registry, cache, out_dir, ray=ray, progress=progress, cancel=cancel
    )
    if cancel is not None and cancel.cancelled:
        return FilmResult(shots)
    film = write_cut(seq, shots, out_dir, stem=file_stem(seq_path.stem), progress=progress)
    film.wall_s = time.monotonic() - t0
    return film
