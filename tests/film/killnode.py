"""Test-only node types for the Ray tests: one that kills its worker process the first time it
runs (a machine lost mid-task), one that takes long enough to be cancelled."""

from __future__ import annotations

import os
import time
from pathlib import Path

from app.core.node import NodeType, Output, Params
from app.core.ports import PortType
from app.core.values import Value
from app.media.images import load_image


class DieParams(Params):
    marker: str = ""  # a file: absent, the node kills its process (after creating it)
    still: str = ""
    seconds: float = 0.0


def _die_once(ctx, p: DieParams, inputs):
    marker = Path(p.marker)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)  # the worker dies mid-task, as a machine would
    time.sleep(p.seconds)
    img = load_image(Path(p.still))
    out = ctx.path("still.png")
    import cv2

    cv2.imwrite(str(out), img)
    return {"image": Value(PortType.IMAGE, out, {})}


NODES = [
    NodeType(
        "t_die_once",
        "Die once",
        DieParams,
        _die_once,
        category="Test",
        outputs=(Output("image", PortType.IMAGE),),
    ),
]
