"""OpenTimelineIO timelines of exported clips, for editors: .otio, FCP7 XML and CMX 3600 EDL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio


@dataclass
class Clip:
    name: str
    path: Path
    frames: int
    fps: float
    audio: bool = False  # the clip has sound: it is on the audio track too


def build(name: str, clips: list[Clip]) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for c in clips:
        rate = float(c.fps)
        available = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(c.frames, rate)
        )
        ref = otio.schema.ExternalReference(
            target_url=c.path.resolve().as_uri(), available_range=available
        )
        track.append(otio.schema.Clip(name=c.name, media_reference=ref, source_range=available))
    if any(
        c.audio for c in clips
    ):  # the sound of each clip, under its picture (gaps for silent ones)
        sound = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        for c in clips:
            span = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, float(c.fps)),
                otio.opentime.RationalTime(c.frames, float(c.fps)),
            )
            if c.audio:
                ref = otio.schema.ExternalReference(
                    target_url=c.path.resolve().as_uri(), available_range=span
                )
                sound.append(otio.schema.Clip(name=c.name, media_reference=ref, source_range=span))
            else:
                sound.append(otio.schema.Gap(source_range=span))
        timeline.tracks.append(sound)
    return timeline


def write_all(
    timeline: otio.schema.Timeline, folder: Path, stem: str
) -> dict[str, Path | Exception]:
    """The timeline in every format editors take, each on its own: {file name: path}, or the
    reason a format could not be written (the others are written all the same)."""
    out: dict[str, Path | Exception] = {}
    # CMX 3600 has one frame rate for the whole list: the first clip's
    rate = timeline.tracks[0][0].source_range.duration.rate if len(timeline.tracks[0]) else 24
    kinds = {"otio": "OpenTimelineIO", "xml": "FCP 7 XML", "edl": "CMX 3600 EDL"}
    for suffix, adapter, kw in (
        ("otio", None, {}),
        ("xml", "fcp_xml", {}),
        ("edl", "cmx_3600", {"rate": rate}),
    ):
        path = folder / f"{stem}.{suffix}"
        try:
            otio.adapters.write_to_file(timeline, str(path), adapter_name=adapter, **kw)
            out[path.name] = path
        except Exception as e:  # noqa: BLE001 - an adapter's refusal: said, and the other formats kept
            reason = str(e) or type(e).__name__
            if "timecode" in reason.lower():
                reason = (
                    f"{kinds[suffix]} uses SMPTE timecode, which has no {rate:g} fps (only 23.976, 24, 25, "
                    "29.97, 30, 50, 59.94 and 60)"
                )
            out[path.name] = RuntimeError(reason)
            path.unlink(missing_ok=True)
    written = [name for name, v in out.items() if isinstance(v, Path)]
    for name, v in out.items():
        if isinstance(v, Exception) and written:
            out[name] = RuntimeError(f"{v}; the timeline is in {', '.join(written)}")
    return out
