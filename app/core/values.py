"""Values that travel between nodes: always a file on disk plus small metadata.

Frames never travel in memory between nodes. A VIDEO is a video file, IMAGE and MASK are PNGs,
PROMPT, MOTION and CAMERA are small JSON documents, AUDIO is an audio file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.ports import PortType


@dataclass(frozen=True)
class Value:
    type: PortType
    path: Path  # absolute
    meta: dict[str, Any] = field(default_factory=dict)

    def read_json(self) -> Any:
        return json.loads(self.path.read_text(encoding="utf-8"))

    def to_manifest(self, root: Path) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "file": self.path.relative_to(root).as_posix(),
            "meta": self.meta,
        }

    @classmethod
    def from_manifest(cls, root: Path, data: dict[str, Any]) -> Value:
        return cls(PortType(data["type"]), root / data["file"], dict(data.get("meta") or {}))


def expand_takes(value: Value) -> list[Value]:
    """A generator's 'takes' output carries every take; any other VIDEO is one clip."""
    names = value.meta.get("takes_files")
    if not names:
        return [value]
    metas = value.meta.get("takes_meta") or [{} for _ in names]
    return [
        Value(value.type, value.path.parent / n, dict(m))
        for n, m in zip(names, metas, strict=False)
    ]
