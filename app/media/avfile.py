"""Video and audio files through PyAV, streamed: frames are decoded, processed and encoded on
threads (PyAV and OpenCV release the GIL) with small bounded queues, so memory stays flat
however long the shot. Files only: app.media.video also reads the local engine's render
recipes, and is what consumers import."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from app.core.errors import NodeError
from app.core.limits import limit
from app.media.streams import ahead

# Lossless intermediate for everything the local engine renders into the cache: x264 in RGB at
# qp 0 (fast, bit-exact); delivery compression happens only in export.
LOSSLESS: dict[str, Any] = {
    "codec": "libx264rgb",
    "pix_fmt": "bgr24",
    "options": {"qp": "0", "preset": "ultrafast"},
}


@dataclass(frozen=True)
class VideoMeta:
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    has_audio: bool
    codec: str = ""
    audio_rate: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def fps_fraction(fps: float) -> Fraction:
    """23.976 -> 24000/1001 and so on; otherwise a simple fraction."""
    for base in (24, 30, 60, 120):
        if abs(fps - base * 1000 / 1001) < 1e-3:
            return Fraction(base * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _open(path: Path) -> av.container.InputContainer:
    if not path.exists():
        raise NodeError(f"file not found: {path}", hint="check the path")
    try:
        return av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as e:
        raise NodeError(
            f"cannot read {path.name}: not a media file PyAV can open ({e})",
            hint="the file may be truncated or of an unsupported format",
        ) from None


def probe(path: Path) -> VideoMeta:
    """Size, rate, frame count and audio presence; counts frames by demuxing when the
    container does not say (never trusts a missing count)."""
    with _open(path) as c:
        if not c.streams.video:
            raise NodeError(
                f"{path.name} has no video stream",
                hint="pick a video file; this one may be damaged or not a video at all",
            )
        vs = c.streams.video[0]
        rate = vs.average_rate or vs.guessed_rate or Fraction(24)
        audio = c.streams.audio[0] if c.streams.audio else None
        check_frame_size(vs.codec_context.width, vs.codec_context.height, path.name)
        if c.duration and c.duration / 1_000_000 > limit("video_seconds"):
            raise NodeError(
                f"{path.name} lasts {c.duration / 3.6e9:.1f} h; the limit is "
                f"{limit('video_seconds') / 60:.0f} min",
                hint="trim it first",
            )
        frames = vs.frames
        if not frames:
            frames = sum(1 for p in c.demux(vs) if p.size)
        fps = float(rate)
        if vs.codec_context.name == "gif" and c.duration and frames:
            # GIF delays are whole centiseconds and vary: the true rate is frames over duration
            fps = frames / (c.duration / 1_000_000)
        duration = frames / fps
        if fps > limit("fps") or fps <= 0:
            raise NodeError(
                f"{path.name} claims {fps:g} frames a second; the limit is {limit('fps')}",
                hint="re-encode it at a normal frame rate",
            )
        if duration > limit("video_seconds"):
            raise NodeError(
                f"{path.name} lasts {duration / 3600:.1f} h; the limit is "
                f"{limit('video_seconds') / 60:.0f} min",
                hint="trim it first",
            )
        if audio is not None and (audio.rate or 0) > limit("audio_rate"):
            raise NodeError(
                f"{path.name}'s sound is sampled at {audio.rate} Hz; the limit is {limit('audio_rate')}"
            )
        return VideoMeta(
            vs.codec_context.width,
            vs.codec_context.height,
            fps,
            int(frames),
            duration,
            audio is not None,
            vs.codec_context.name,
            audio.rate if audio else 0,
        )


def check_frame_size(width: int, height: int, name: str) -> None:
    """Refused from the header, before a frame is decoded: one frame beyond 8K (a 16000x16000
    frame would take gigabytes per decoded copy)."""
    if width * height > limit("frame_pixels") or width <= 0 or height <= 0:
        raise NodeError(
            f"{name} has {width}x{height} frames; the limit is 8K ({limit('frame_pixels'):,} pixels "
            "a frame)",
            hint="scale the video down first",
        )


def iter_frames(path: Path, *, fmt: str | None = "bgr24", prefetch: int = 4) -> Iterator[Any]:
    """Decoded frames as arrays (or as av.VideoFrame with fmt=None, for re-encoding without a
    round trip through numpy), decoded ahead on a thread. Damaged data raises NodeError."""

    def decode(put) -> None:
        with _open(path) as c:
            vs = c.streams.video[0]
            vs.thread_type = "AUTO"
            for frame in c.decode(vs):
                # every frame, not just the header: a stream may change size midway
                check_frame_size(frame.width, frame.height, path.name)
                if not put(frame.to_ndarray(format=fmt) if fmt else frame):
                    return

    def error(e: BaseException) -> NodeError:
        if isinstance(e, NodeError):
            return e
        if isinstance(e, (av.error.FFmpegError, IndexError)):
            return NodeError(
                f"cannot decode {path.name}: {e}", hint="the file may be truncated or damaged"
            )
        return NodeError(f"cannot decode {path.name}: {type(e).__name__}: {e}")

    yield from ahead(decode, prefetch=prefetch, name="reelgraph-decode", error=error)


def read_frame(path: Path, index: int = -1) -> np.ndarray:
    """One frame, BGR; a negative index counts from the end. Decodes from the start: fine for
    the shots this is used on (last_frame, posters), and exact where seeking is not."""
    from collections import deque

    keep: deque[np.ndarray] = deque(maxlen=max(1, -index))
    count = 0
    for i, f in enumerate(iter_frames(path)):
        if i == index:
            return f
        keep.append(f)
        count = i + 1
    if count == 0:
        raise NodeError(f"{path.name} has no decodable frames", hint="the file may be truncated")
    if index < 0 and -index <= count:
        return keep[0]
    raise NodeError(f"{path.name} has {count} frames; frame {index} does not exist")


class VideoWriter:
    """Encodes BGR frames on a background thread. Use as a context manager; ``close()``
    finishes the file, ``abort()`` drops it."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        *,
        codec: str = LOSSLESS["codec"],
        pix_fmt: str = LOSSLESS["pix_fmt"],
        options: dict[str, str] | None = None,
        container_options: dict[str, str] | None = None,
        metadata: dict[str, str] | None = None,
        audio: Path | None = None,
        audio_codec: str | None = None,
        audio_seconds: float | None = None,
        queue_size: int = 6,
        thread_type: str | None = "AUTO",
    ) -> None:
        if codec == LOSSLESS["codec"] and options is None:
            options = dict(LOSSLESS["options"])
        self.path = path
        self.container = av.open(str(path), mode="w", options=container_options or {})
        for k, v in (metadata or {}).items():
            self.container.metadata[k] = v
        self.stream = cast(
            VideoStream,
            self.container.add_stream(codec, rate=fps_fraction(fps), options=options or {}),
        )
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, pix_fmt
        if thread_type:
            self.stream.codec_context.thread_type = thread_type
        self.audio_src = audio
        self.audio_seconds = audio_seconds
        self.audio_stream: AudioStream | None = None
        if audio is not None:
            rate = _audio_rate(audio)
            if (audio_codec == "libopus" and rate not in OPUS_RATES) or (
                audio_codec == "aac" and rate > 48000
            ):
                # Opus takes 48/24/16/12/8 kHz only, AAC no more than 96 kHz: resampled to 48 kHz
                rate = 48000
            self.audio_stream = cast(
                AudioStream, self.container.add_stream(audio_codec or "pcm_s16le", rate=rate)
            )
        self.frames = 0
        self._q: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, daemon=True, name="reelgraph-encode")
        self._thread.start()

    def _encode(self) -> None:
        index = -1
        ended = False  # the end-of-stream sentinel was taken: nothing more will be put
        try:
            while True:
                index += 1
                arr = self._q.get()
                if arr is None:
                    ended = True
                    break
                if isinstance(arr, av.VideoFrame):  # a decoded frame: swscale converts it directly
                    frame = arr.reformat(format=self.stream.pix_fmt)
                    frame.pts = index
                    frame.time_base = 1 / self.stream.codec_context.framerate
                else:
                    fmt = (
                        "bgr24"
                        if arr.ndim == 3 and arr.shape[2] == 3
                        else ("bgra" if arr.ndim == 3 else "gray")
                    )
                    frame = av.VideoFrame.from_ndarray(arr, format=fmt)
                for packet in self.stream.encode(frame):
                    self.container.mux(packet)
            for packet in self.stream.encode():
                self.container.mux(packet)
        except BaseException as e:  # noqa: BLE001 - reported on the producer's next write/close
            self._error = e
            while not ended:  # drain so the producer never blocks, up to the sentinel (once)
                ended = self._q.get() is None

    def write(self, frame: np.ndarray) -> None:
        if self._error:
            raise self._error
        self._q.put(frame)
        self.frames += 1

    def close(self) -> None:
        self._q.put(None)
        self._thread.join()
        try:
            if self._error:
                raise self._error
            if self.audio_stream is not None and self.audio_src is not None:
                mux_audio(
                    self.container,
                    self.audio_stream,
                    self.audio_src,
                    self.audio_seconds
                    if self.audio_seconds is not None
                    else self.frames / float(self.stream.rate),
                )
        finally:
            self.container.close()

    def abort(self) -> None:
        self._q.put(None)
        self._thread.join()
        try:
            self.container.close()
        except (av.error.FFmpegError, OSError):  # a half-written file: it is deleted next
            pass
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


OPUS_RATES = (48000, 24000, 16000, 12000, 8000)


def _audio_rate(path: Path) -> int:
    with _open(path) as c:
        if not c.streams.audio:
            raise NodeError(f"{path.name} has no audio stream", hint="pick a file with sound")
        return c.streams.audio[0].rate or 48000


def mux_audio(container, stream, src: Path, seconds: float) -> None:
    """Copy ``seconds`` of audio from src (re-encoded to the stream's codec), padding with
    silence when it is shorter, so audio and video end together."""
    rate = stream.codec_context.sample_rate or stream.rate
    layout = "stereo" if stream.codec_context.name == "aac" else "mono"
    fmt = stream.codec_context.format.name if stream.codec_context.format else "s16"
    resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
    want = int(round(seconds * rate))
    written = 0
    frame_size = stream.codec_context.frame_size or 1024
    pending: list[np.ndarray] = []
    channels = 2 if layout == "stereo" else 1
    got = 0
    with _open(src) as c:
        a = c.streams.audio[0]
        for frame in c.decode(a):
            for rf in resampler.resample(frame):
                arr = rf.to_ndarray()
                pending.append(arr)
                got += arr.shape[1] if fmt.endswith("p") else arr.shape[1] // channels
            if got >= want:
                break  # only what the video's length takes: a long track is never decoded whole
        else:
            for rf in resampler.resample(None):
                pending.append(rf.to_ndarray())
    planar = fmt.endswith("p")
    data = (
        np.concatenate(pending, axis=1)
        if pending
        else np.zeros((channels if planar else 1, 0), dtype=_np_dtype(fmt))
    )
    total = data.shape[1] if planar else data.shape[1] // channels
    if total < want:
        pad = want - total
        pad_arr = np.zeros((data.shape[0], pad if planar else pad * channels), dtype=data.dtype)
        data = np.concatenate([data, pad_arr], axis=1)
    pts = 0
    while written < want:
        n = min(frame_size, want - written)
        chunk = (
            data[:, written : written + n]
            if planar
            else data[:, written * channels : (written + n) * channels]
        )
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format=fmt, layout=layout)
        frame.sample_rate = rate
        frame.pts = pts
        pts += n
        written += n
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)


def _np_dtype(fmt: str) -> Any:
    return {
        "s16": np.int16,
        "s16p": np.int16,
        "flt": np.float32,
        "fltp": np.float32,
        "s32": np.int32,
    }.get(fmt, np.float32)


def read_audio(path: Path, rate: int = 16000) -> np.ndarray:
    """Mono float32 samples at ``rate``; NodeError when there is no audio stream or it is
    longer than the limit (from the header when it says, else while decoding)."""
    cap = limit("audio_seconds")
    too_long = NodeError(
        f"{path.name}'s sound is longer than {cap / 60:.0f} min, the limit",
        field="param 'path'",
        hint="trim it first",
    )
    with _open(path) as c:
        if not c.streams.audio:
            raise NodeError(f"{path.name} has no audio stream", hint="pick a file with sound")
        stream = c.streams.audio[0]
        if (stream.rate or 0) > limit("audio_rate"):
            raise NodeError(
                f"{path.name}'s sound is sampled at {stream.rate} Hz; the limit is {limit('audio_rate')}",
                field="param 'path'",
                hint="resample it to 48 kHz",
            )
        declared = (
            float(stream.duration * stream.time_base)
            if stream.duration and stream.time_base
            else (c.duration / 1_000_000 if c.duration else 0.0)
        )
        if declared > cap:
            raise too_long
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = []
        total = 0
        try:
            for frame in c.decode(stream):
                for rf in resampler.resample(frame):
                    chunks.append(rf.to_ndarray().reshape(-1))
                    total += len(chunks[-1])
                if total > cap * rate:
                    raise too_long
        except av.error.FFmpegError as e:
            raise NodeError(
                f"cannot decode audio of {path.name}: {e}", hint="the file may be damaged"
            ) from None
        for rf in resampler.resample(None):
            chunks.append(rf.to_ndarray().reshape(-1))
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def audio_duration(path: Path) -> float:
    return len(read_audio(path, 8000)) / 8000.0


def stream_frames(
    render: Callable[[int], np.ndarray],
    count: int,
    writer: VideoWriter,
    progress: Callable[[float, str | None], None] | None = None,
    workers: int = 1,
) -> None:
    """Render ``count`` frames with ``render(i)`` and feed the writer in order. With
    ``workers`` > 1 frames render in a small pool (OpenCV releases the GIL)."""
    if workers <= 1:
        for i in range(count):
            writer.write(render(i))
            if progress:
                progress((i + 1) / count, f"frame {i + 1}/{count}")
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reelgraph-render") as pool:
        futures = [pool.submit(render, i) for i in range(min(count, workers * 2))]
        nxt = len(futures)
        for i in range(count):
            frame = futures[i].result()
            futures[i] = None  # type: ignore[call-overload]
            if nxt < count:
                futures.append(pool.submit(render, nxt))
                nxt += 1
            writer.write(frame)
            if progress:
                progress((i + 1) / count, f"frame {i + 1}/{count}")
