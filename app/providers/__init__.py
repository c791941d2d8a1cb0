"""Backends by task and name: the local engine, cloud adapters and the user's ComfyUI server.

Which backends and models exist, and what they can do, is data (app.providers.catalog); this
module only maps a backend name to the code that speaks its protocol. OpenAI's Sora video API
shut down on 24 September 2026; there is no adapter for it."""

from __future__ import annotations

from typing import Any

from app.providers.catalog import Task, catalog
from app.providers.comfy import ComfyUIBackend
from app.providers.generic import FalBackend, ReplicateBackend
from app.providers.hosted import LumaBackend, RunwayBackend, RunwayUpscale, VeoBackend
from app.providers.kling import KlingBackend
from app.providers.lipsync_remote import KlingLipSync, SyncBackend
from app.providers.local import LocalBackend

# local upscale and lip-sync run inside their nodes: no adapter
_ADAPTERS: dict[str, dict[str, Any]] = {
    "generate": {
        b.name: b
        for b in (
            LocalBackend(),
            KlingBackend(),
            RunwayBackend(),
            LumaBackend(),
            VeoBackend(),
            FalBackend(),
            ReplicateBackend(),
            ComfyUIBackend(),
        )
    },
    "upscale": {"runway": RunwayUpscale()},
    "lipsync": {"sync": SyncBackend(), "kling": KlingLipSync()},
}


def adapter(task: Task, name: str) -> Any:
    return _ADAPTERS[task].get(name)


def get_backend(name: str) -> Any:
    return adapter("generate", name)


def backend_names(task: Task = "generate") -> list[str]:
    return catalog().backends_for(task)


def key_backends() -> list[str]:
    """Every backend that takes an API key (generators, upscale and lip-sync)."""
    return [n for n, b in catalog().backends.items() if b.key]
