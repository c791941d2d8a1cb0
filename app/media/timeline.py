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


def build(name: str, clips: list[Clip]) -> otio.schema.Timeline:
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for c in clips:
        rate = float(c.fps)
        available = otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(c.frames, rate))
        ref = otio.schema.ExternalReference(target_url=c.path.resolve().as_uri(), available_range=available)
        track.append(otio.schema.Clip(name=c.name, media_reference=ref, source_range=available))
    return timeline


def write_all(timeline: otio.schema.Timeline, folder: Path, stem: str) -> dict[str, Path]:
    """The timeline in every format editors take; returns {file name: path}."""
    out = {}
    otio_path = folder / f"{stem}.otio"
    otio.adapters.write_to_file(timeline, str(otio_path))
    out[otio_path.name] = otio_path
    xml_path = folder / f"{stem}.xml"
    otio.adapters.write_to_file(timeline, str(xml_path), adapter_name="fcp_xml")
    out[xml_path.name] = xml_path
    edl_path = folder / f"{stem}.edl"
    # CMX 3600 has one frame rate for the whole list: the first clip's
    rate = timeline.tracks[0][0].source_range.duration.rate if len(timeline.tracks[0]) else 24
    otio.adapters.write_to_file(timeline, str(edl_path), adapter_name="cmx_3600", rate=rate)
    out[edl_path.name] = edl_path
    return out
