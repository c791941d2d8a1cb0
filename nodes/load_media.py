"""load_video and load_audio: media files from disk, anything PyAV reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from pydantic import Field

from app.core.errors import NodeError
from app.core.node import NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media import shotfile
from app.media.video import audio_duration, iter_frames, probe, read_audio

VIDEO_FILTER = "Video (*.mp4 *.mov *.mkv *.webm *.avi *.m4v *.gif)"
AUDIO_FILTER = "Audio (*.wav *.mp3 *.m4a *.aac *.flac *.ogg *.opus)"


class LoadVideoParams(Params):
    path: str = Field(
        "",
        description="video file, relative to the workflow's folder or absolute",
        json_schema_extra={"widget": "file", "filter": VIDEO_FILTER},
    )


class LoadAudioParams(Params):
    path: str = Field(
        "",
        description="audio file (or a video whose sound you want)",
        json_schema_extra={"widget": "file", "filter": AUDIO_FILTER},
    )


def _file(path: str, base: Path) -> Path:
    if not path.strip():
        raise NodeError("no file chosen", field="param 'path'", hint="pick a file")
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


def _video_reads(src: Path) -> list[Path]:
    """The file, and for a render recipe the still it renders (its picture is in that file)."""
    if shotfile.is_shot(src) and src.is_file():
        try:
            return [src, src.parent / shotfile.read(src)["source"]]
        except NodeError:
            return [src]  # the run says why it cannot be read
    return [src]


def run_video(ctx, p: LoadVideoParams, inputs):
    src = _file(p.path, ctx.base_dir)
    meta = probe(src)
    # Decode it through once: a truncated or damaged file fails here, named, not three nodes later.
    frames = 0
    for _ in iter_frames(src):
        frames += 1
        if frames % 24 == 0:
            ctx.progress(frames / max(1, meta.frames), "checking frames")
    if frames == 0:
        raise NodeError(
            f"{src.name} has no decodable frames",
            field="param 'path'",
            hint="the file may be truncated",
        )
    video = ctx.path("video" + src.suffix.lower())
    if shotfile.is_shot(src):  # a render recipe: with its own copy of its still
        d = shotfile.read(src)
        shotfile.write(
            video,
            src.parent / d["source"],
            width=d["width"],
            height=d["height"],
            fps=d["fps"],
            frames=d["frames"],
            camera=d.get("camera"),
        )
    else:
        shutil.copyfile(src, video)  # kept exactly as given: no generation loss
    vmeta = dict(meta.to_dict(), frames=frames, duration=frames / meta.fps, source=src.name)
    outputs = {"video": Value(PortType.VIDEO, video, vmeta)}
    audio = ctx.path("audio.wav")
    if meta.has_audio:
        _extract_audio(src, audio, meta.duration)
        outputs["audio"] = Value(
            PortType.AUDIO, audio, {"duration": audio_duration(audio), "source": src.name}
        )
    else:
        _silence(audio, vmeta["duration"])
        outputs["audio"] = Value(
            PortType.AUDIO,
            audio,
            {"duration": vmeta["duration"], "silent": True, "source": src.name},
        )
    return outputs


def _extract_audio(src: Path, dest: Path, seconds: float) -> None:
    import av

    from app.media.video import mux_audio

    with av.open(str(dest), "w") as c:
        with av.open(str(src)) as i:
            rate = i.streams.audio[0].rate or 48000
        stream = c.add_stream("pcm_s16le", rate=rate)
        mux_audio(c, stream, src, audio_duration(src) or seconds)


def _silence(dest: Path, seconds: float) -> None:
    import av
    import numpy as np

    with av.open(str(dest), "w") as c:
        s = c.add_stream("pcm_s16le", rate=48000)
        n = int(seconds * 48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, n), np.int16), format="s16", layout="mono")
        frame.sample_rate = 48000
        for pkt in s.encode(frame):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)


def run_audio(ctx, p: LoadAudioParams, inputs):
    src = _file(p.path, ctx.base_dir)
    samples = read_audio(src, 16000)  # validates: NodeError when there is no audio stream
    if len(samples) == 0:
        raise NodeError(f"{src.name} has an audio stream but no samples", field="param 'path'")
    dest = ctx.path("audio.wav")
    _extract_audio(src, dest, len(samples) / 16000)
    return {
        "audio": Value(PortType.AUDIO, dest, {"duration": len(samples) / 16000, "source": src.name})
    }


LOAD_VIDEO = NodeType(
    id="load_video",
    title="Load video",
    category="Inputs",
    params=LoadVideoParams,
    run=run_video,
    preview="file",
    description="A video file from disk (anything PyAV reads). Outputs its picture and, when it has one, its sound "
    "(silence otherwise).",
    outputs=(
        Output("video", PortType.VIDEO, "the file as it is"),
        Output("audio", PortType.AUDIO, "its sound as WAV"),
    ),
    reads=lambda p, base: _video_reads(_file(p.path, base)),
)
LOAD_AUDIO = NodeType(
    id="load_audio",
    title="Load audio",
    category="Inputs",
    params=LoadAudioParams,
    run=run_audio,
    preview="waveform",
    description="An audio file from disk (WAV, MP3, AAC, FLAC, ... or a video's sound track).",
    outputs=(Output("audio", PortType.AUDIO, "the sound as WAV"),),
    reads=lambda p, base: [_file(p.path, base)],
)
NODES = [LOAD_VIDEO, LOAD_AUDIO]
