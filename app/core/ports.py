"""Port types and the one table that says which output may feed which input."""

from __future__ import annotations

from enum import StrEnum


class PortType(StrEnum):
    PROMPT = "PROMPT"
    IMAGE = "IMAGE"
    MASK = "MASK"
    MOTION = "MOTION"
    CAMERA = "CAMERA"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"


# Output type -> input types it may feed, besides its own. A MASK is a single-channel image and
# an IMAGE can be read as a mask (its luminance), so those two convert; nothing else does:
# a VIDEO becomes an IMAGE only through an explicit node (last_frame), so the user sees it.
_CONVERSIONS: dict[PortType, frozenset[PortType]] = {
    PortType.MASK: frozenset({PortType.IMAGE}),
    PortType.IMAGE: frozenset({PortType.MASK}),
}

# Colours per type, shared by the editor's ports and its legend (RGB).
PORT_COLOURS: dict[PortType, tuple[int, int, int]] = {
    PortType.PROMPT: (236, 196, 84),
    PortType.IMAGE: (88, 170, 230),
    PortType.MASK: (170, 170, 170),
    PortType.MOTION: (236, 110, 160),
    PortType.CAMERA: (150, 120, 236),
    PortType.VIDEO: (96, 204, 120),
    PortType.AUDIO: (240, 140, 70),
}


def can_feed(output_type: PortType, input_type: PortType) -> bool:
    """True when a value of ``output_type`` may be connected to an input of ``input_type``."""
    return output_type == input_type or input_type in _CONVERSIONS.get(output_type, frozenset())


def can_connect(output_types: tuple[PortType, ...], input_types: tuple[PortType, ...]) -> bool:
    """Ports may accept several types (e.g. upscale takes VIDEO or IMAGE)."""
    return any(can_feed(o, i) for o in output_types for i in input_types)
