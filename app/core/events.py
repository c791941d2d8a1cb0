"""The one event stream that feeds the CLI display, JSON lines and the editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

EventName = Literal[
    "run_started",
    "queued",
    "started",
    "progress",
    "cached",
    "finished",
    "failed",
    "skipped",
    "cancelled",
    "run_finished",
]
NODE_END_STATES = frozenset({"cached", "finished", "failed", "skipped", "cancelled"})


@dataclass
class Event:
    event: EventName
    run_id: str
    t: float  # seconds since the run started
    node: str | None = None
    type: str | None = None
    progress: float | None = None
    message: str | None = None
    outputs: dict[str, str] | None = None  # output port -> file path
    delivered: list[str] | None = None  # files published into the output folder
    error: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"event": self.event, "run_id": self.run_id, "t": round(self.t, 4)}
        for key in ("node", "type", "progress", "message", "outputs", "delivered", "error"):
            v = getattr(self, key)
            if v is not None:
                d[key] = v
        d.update(self.data)
        return d
