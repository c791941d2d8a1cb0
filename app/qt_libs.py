"""Before the editor starts on Linux/X11: are the system libraries Qt's xcb plugin needs there?
If not, one message naming the packages to install (Debian/Ubuntu and Fedora), instead of Qt's
own abort ("could not load the Qt platform plugin xcb")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# library (soname prefix) -> (Debian/Ubuntu package, Fedora package)
PACKAGES = {
    "libxcb-cursor": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-xinerama": ("libxcb-xinerama0", "libxcb"),
    "libxcb-randr": ("libxcb-randr0", "libxcb"),
    "libxcb-shape": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb": ("libxcb-xkb1", "libxcb"),
    "libxcb-sync": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes": ("libxcb-xfixes0", "libxcb"),
    "libxcb-shm": ("libxcb-shm0", "libxcb"),
    "libxcb-render": ("libxcb-render0", "libxcb"),
    "libxcb-glx": ("libxcb-glx0", "libxcb"),
    "libxcb": ("libxcb1", "libxcb"),
    "libX11-xcb": ("libx11-xcb1", "libX11-xcb"),
    "libX11": ("libx11-6", "libX11"),
    "libEGL": ("libegl1", "libglvnd-egl"),
    "libGL": ("libgl1", "libglvnd-glx"),
    "libOpenGL": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig": ("libfontconfig1", "fontconfig"),
    "libfreetype": ("libfreetype6", "freetype"),
    "libdbus-1": ("libdbus-1-3", "dbus-libs"),
    "libICE": ("libice6", "libICE"),
    "libSM": ("libsm6", "libSM"),
}


def headless_hint() -> str:
    """How to render without the editor, in the words that fit this install."""
    from app.core.resources import in_clone

    if in_clone():
        return "Render the demo headless with `make demo`, or `reelgraph run workflows/demo.json`."
    return (
        "Render headless: `reelgraph examples --copy ~/reelgraph-examples`, then "
        "`reelgraph run ~/reelgraph-examples/workflows/demo.json`."
    )


def xcb_plugin() -> Path | None:
    """Qt's xcb platform plugin (REELGRAPH_XCB_PLUGIN points the check at another file)."""
    forced = os.environ.get("REELGRAPH_XCB_PLUGIN")
    if forced:
        return Path(forced)
    try:
        import PySide6
    except ImportError:
        return None
    found = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return found if found.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The libraries the dynamic loader cannot find for ``plugin`` (ldd's "not found")."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted({m.group(1) for m in re.finditer(r"^\s*(\S+)\s+=>\s+not found", out, re.M)})


def packages_for(libs: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(Debian/Ubuntu packages, Fedora packages, libraries no package is known for)."""
    deb, rpm, unknown = [], [], []
    for lib in libs:
        base = lib.split(".so")[0]
        pkg = PACKAGES.get(base)
        if pkg is None:
            unknown.append(lib)
            continue
        deb.append(pkg[0]) if pkg[0] not in deb else None
        rpm.append(pkg[1]) if pkg[1] not in rpm else None
    return deb, rpm, unknown


def check_xcb() -> str | None:
    """None when the editor can start on X11 (or does not use it); else the message to print."""
    if not sys.platform.startswith("linux"):
        return None
    # Qt tries the platforms of QT_QPA_PLATFORM in order ("wayland;xcb"), case-insensitively;
    # unset, it takes wayland when a Wayland session is there: only xcb first needs the check
    wanted = [
        p.split(":", 1)[0].strip().lower() for p in os.environ.get("QT_QPA_PLATFORM", "").split(";")
    ]
    wanted = [p for p in wanted if p]
    if wanted and wanted[0] != "xcb":
        return None  # offscreen, wayland...: not the xcb plugin
    if not wanted and os.environ.get("WAYLAND_DISPLAY"):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    libs = missing_libraries(plugin)
    if not libs:
        return None
    deb, rpm, unknown = packages_for(libs)
    lines = [
        f"reelgraph: the editor cannot start: Qt's X11 plugin needs system libraries that are not "
        f"installed ({', '.join(libs)})."
    ]
    if deb:
        lines.append(f"  Debian/Ubuntu:  sudo apt install {' '.join(deb)}")
        lines.append(f"  Fedora:         sudo dnf install {' '.join(rpm)}")
    if unknown:
        lead = "  and the package" if deb else "  Install the package"
        lines.append(
            f"{lead} that provides {', '.join(unknown)} (your distribution's search finds it)"
        )
    lines.append("Headless rendering needs none of them. " + headless_hint())
    return "\n".join(lines)
