"""What a generator backend receives and returns; cloud adapters implement the same interface."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.core.context import CancelToken
from app.media.camera import CameraPath


@dataclass
class GenerateRequest:
    prompt: dict[str, Any]  # {"text", "negative", "fields"}
    image: Path | None
    end_image: Path | None
    motion: dict[str, Any] | None  # the MOTION document
    camera: CameraPath | None
    duration: float
    fps: float
    width: int
    height: int
    seed: int
    takes: int
    model: str
    mode: str = (
        ""  # the model's mode as resolved from the catalog (Kling std/pro); "" when it has none
    )
    shot_name: str = ""
    image_url: str | None = None  # a public URL of the start frame, for providers that fetch by URL
    end_image_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # per-task inputs (lip-sync: video, audio)


@dataclass
class GenerateJob:
    """Where a backend writes and how it reports: a thin slice of the node context."""

    work_dir: Path
    cancel: CancelToken
    progress: Callable[[float, str | None], None]
    node_id: str = ""
    info: dict[str, Any] = field(default_factory=dict)  # notes for the user (approximations)
    key: str = ""  # the node's cache key: remote jobs are journaled under it
    cache_dir: Path | None = None  # where the job journal lives
    base_dir: Path | None = None  # the workflow's folder (templates shipped beside it)
    take_meta: dict[int, dict[str, Any]] = field(
        default_factory=dict
    )  # per take: provider result ids

    @classmethod
    def for_node(cls, ctx: Any) -> GenerateJob:
        """The job of the node running in ``ctx`` (a NodeContext): one place that knows which
        parts of the context a backend gets."""
        return cls(
            work_dir=ctx.work_dir,
            cancel=ctx.cancel,
            progress=ctx.progress,
            node_id=ctx.node_id,
            key=ctx.key,
            cache_dir=ctx.cache_dir,
            base_dir=ctx.base_dir,
        )


class Backend(Protocol):
    name: str

    def models(self) -> list[str]: ...

    def check(self, req_inputs: frozenset[str], params: Any) -> list[tuple[str | None, str]]: ...

    def generate(self, req: GenerateRequest, job: GenerateJob) -> list[Path]: ...
