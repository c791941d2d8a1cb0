"""The one way a node opens a file named by a param: only regular files (never a device, FIFO
or folder, which could block or never end), of a bounded size, with a clear message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.core.errors import NodeError
from app.core.limits import limit


def checked_file(
    path: Path, *, what: str = "file", field: str | None = None, max_bytes: int | None = None
) -> Path:
    """``path`` if it is a regular file within the size limit; NodeError otherwise. stat()
    follows links but never opens, so a FIFO or /dev/zero is refused without blocking."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NodeError(f"{what} not found: {path}", field=field, hint="check the path") from None
    except OSError as e:
        raise NodeError(f"cannot read {what} {path}: {e.strerror or e}", field=field) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a device, pipe or socket"
        raise NodeError(f"{path} is {kind}, not a file", field=field, hint=f"pick a {what}")
    real = os.path.realpath(path)
    if real.startswith(
        ("/proc/", "/sys/", "/dev/")
    ):  # "regular" files whose size says nothing (pagemap)
        raise NodeError(
            f"{path} is a system file ({real}), not media", field=field, hint=f"pick a {what}"
        )
    cap = limit("param_file_bytes") if max_bytes is None else max_bytes
    if st.st_size > cap:
        raise NodeError(
            f"{path.name} is {st.st_size / 2**30:.1f} GiB; the limit is {cap / 2**30:.0f} GiB",
            field=field,
        )
    return path


def is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
