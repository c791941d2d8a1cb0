"""Generator backends by name: the local engine, cloud adapters and the user's ComfyUI server.

OpenAI's Sora video API shut down on 24 September 2026; there is no adapter for it."""

from __future__ import annotations

from app.providers.generic import ComfyUIBackend, FalBackend, ReplicateBackend
from app.providers.hosted import LumaBackend, RunwayBackend, VeoBackend
from app.providers.kling import KlingBackend
from app.providers.local import LocalBackend

_BACKENDS = {"local": LocalBackend(), "kling": KlingBackend(), "runway": RunwayBackend(), "luma": LumaBackend(),
             "veo": VeoBackend(), "fal": FalBackend(), "replicate": ReplicateBackend(), "comfyui": ComfyUIBackend()}


def backend_names() -> list[str]:
    return list(_BACKENDS)


def get_backend(name: str):
    return _BACKENDS.get(name)


def key_backends() -> list[str]:
    """Every backend that takes an API key (generators and lip-sync)."""
    from app.providers.lipsync_remote import LIPSYNC_BACKENDS

    return [b for b in _BACKENDS if b != "local"] + [b for b in LIPSYNC_BACKENDS if b not in _BACKENDS]


def lipsync_backend(name: str):
    from app.providers.lipsync_remote import LIPSYNC_BACKENDS

    return LIPSYNC_BACKENDS.get(name)
