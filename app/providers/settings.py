"""Provider settings and secrets.

Keys live in the OS keyring (service "reelgraph"); where no keyring backend exists they fall
back to a 0600 JSON file in the config folder, with a visible warning. Environment variables
override both: REELGRAPH_<BACKEND>_API_KEY (Kling: REELGRAPH_KLING_ACCESS_KEY and
REELGRAPH_KLING_SECRET_KEY) and REELGRAPH_<BACKEND>_BASE_URL. Settings (base URLs, the cost
confirmation threshold, the default backend) are a JSON file in the same folder.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from app.core.dirs import config_dir
from app.core.fileio import atomic_write_bytes
from app.core.redact import register

log = logging.getLogger("reelgraph.providers")
SERVICE = "reelgraph"


# -- settings --------------------------------------------------------------------------------------

DEFAULTS: dict[str, Any] = {
    "base_urls": {},
    "confirm_above": 5.0,
    "default_backend": "local",
    "templates": {},
}


def load_settings() -> dict[str, Any]:
    try:
        data = json.loads((config_dir() / "settings.json").read_text())
    except (OSError, ValueError):
        data = {}
    return {**DEFAULTS, **(data if isinstance(data, dict) else {})}


def save_settings(settings: dict[str, Any]) -> None:
    atomic_write_bytes(config_dir() / "settings.json", json.dumps(settings, indent=2).encode())


def base_url(backend: str, default: str) -> str:
    env = os.environ.get(f"REELGRAPH_{backend.upper()}_BASE_URL")
    if env:
        return env.rstrip("/")
    return (load_settings().get("base_urls", {}).get(backend) or default).rstrip("/")


# -- keys --------------------------------------------------------------------------------------------


def key_parts(backend: str) -> tuple[str, ...]:
    """The parts of a backend's key as the model catalog names them (Kling: access + secret)."""
    from app.providers.catalog import shipped_catalog

    b = shipped_catalog().backend(backend)
    return tuple(b.key) if b is not None and b.key else ("api_key",)


def _env_name(backend: str, part: str) -> str:
    return f"REELGRAPH_{backend.upper()}_{part.upper()}"


def _keyring():
    import keyring
    from keyring.backends import fail

    kr = keyring.get_keyring()
    try:
        from keyring.backends.chainer import ChainerBackend

        if isinstance(kr, ChainerBackend) and not kr.backends:
            return None
    except ImportError:
        pass
    return None if isinstance(kr, fail.Keyring) else kr


def keyring_available() -> bool:
    return _keyring() is not None


def _fallback_file() -> Path:
    return config_dir() / "keys.json"


def _fallback_read() -> dict[str, str]:
    try:
        data = json.loads(_fallback_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _fallback_write(data: dict[str, str]) -> None:
    atomic_write_bytes(_fallback_file(), json.dumps(data).encode(), mode=0o600)


FALLBACK_WARNING = (
    "no system keyring is available, so keys are kept in {path} (readable only by you); "
    "install a keyring service (e.g. GNOME Keyring, KWallet) to keep them encrypted"
)


def get_key(backend: str) -> dict[str, str] | None:
    """The key parts for a backend, or None when not all are set."""
    out = {}
    kr = _keyring()
    stored = None if kr is not None else _fallback_read()
    for part in key_parts(backend):
        value = os.environ.get(_env_name(backend, part))
        if not value:
            name = f"{backend}:{part}"
            try:
                value = kr.get_password(SERVICE, name) if kr is not None else stored.get(name)  # type: ignore[union-attr]
            except Exception as e:  # noqa: BLE001 - a locked keyring is "not set", said in the log
                log.warning("keyring read failed for %s: %s", name, e)
                value = None
        if not value:
            return None
        out[part] = value
    register(*out.values())  # from now on, never shown in a message, log, event or journal row
    return out


def set_key(backend: str, parts: dict[str, str]) -> str:
    """Store the key; returns where it went (for the user)."""
    missing = [p for p in key_parts(backend) if not parts.get(p)]
    if missing:
        raise ValueError(
            f"{backend} needs {', '.join(key_parts(backend))}; missing {', '.join(missing)}"
        )
    kr = _keyring()
    if kr is not None:
        for part in key_parts(backend):
            kr.set_password(SERVICE, f"{backend}:{part}", parts[part])
        return "the system keyring"
    data = _fallback_read()
    for part in key_parts(backend):
        data[f"{backend}:{part}"] = parts[part]
    _fallback_write(data)
    log.warning(FALLBACK_WARNING.format(path=_fallback_file()))
    return str(_fallback_file())


def remove_key(backend: str) -> bool:
    kr = _keyring()
    found = False
    for part in key_parts(backend):
        name = f"{backend}:{part}"
        if kr is not None:
            try:
                kr.delete_password(SERVICE, name)
                found = True
            except Exception:  # noqa: BLE001 - not set
                pass
        else:
            data = _fallback_read()
            if data.pop(name, None) is not None:
                found = True
                _fallback_write(data)
    return found


def key_source(backend: str) -> str | None:
    """Where the key comes from: 'environment', 'keyring', 'file', or None."""
    if all(os.environ.get(_env_name(backend, p)) for p in key_parts(backend)):
        return "environment"
    if get_key(backend) is None:
        return None
    return "keyring" if keyring_available() else "file"
