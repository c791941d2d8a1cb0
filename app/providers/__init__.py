"""Generator backends by name: the local engine, and cloud/GPU-server adapters."""

from __future__ import annotations

from app.providers.kling import KlingBackend
from app.providers.local import LocalBackend

_BACKENDS = {"local": LocalBackend(), "kling": KlingBackend()}


def backend_names() -> list[str]:
    return list(_BACKENDS)


def get_backend(name: str):
    return _BACKENDS.get(name)
