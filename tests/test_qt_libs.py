"""The missing-library message: Qt's xcb plugin checked with ldd before the editor starts."""

import subprocess
import sys

import pytest

from app.qt_libs import check_xcb, packages_for

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's"
)


@pytest.fixture
def plugin_missing_a_library(tmp_path):
    """A shared object that needs libxcb-cursor.so.0 and a made-up library, neither findable."""
    (tmp_path / "a.c").write_text("int rg_a(void) { return 1; }\n")
    (tmp_path / "p.c").write_text("int rg_a(void); int rg_p(void) { return rg_a(); }\n")
    cc = ["gcc", "-shared", "-fPIC"]
    subprocess.run(
        [
            *cc,
            str(tmp_path / "a.c"),
            "-o",
            str(tmp_path / "librgmissing.so.0"),
            "-Wl,-soname,librgmissing.so.0",
        ],
        check=True,
    )
    subprocess.run(
        [
            *cc,
            str(tmp_path / "p.c"),
            "-o",
            str(tmp_path / "libqxcb.so"),
            "-L",
            str(tmp_path),
            "-l:librgmissing.so.0",
        ],
        check=True,
    )
    (tmp_path / "librgmissing.so.0").unlink()  # gone: the loader will not find it
    return tmp_path / "libqxcb.so"


def test_a_missing_library_is_named_with_the_package_to_install(
    plugin_missing_a_library, monkeypatch
):
    monkeypatch.setenv("REELGRAPH_XCB_PLUGIN", str(plugin_missing_a_library))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    said = check_xcb()
    assert said is not None and "librgmissing.so.0" in said and "reelgraph run" in said
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert check_xcb() is None  # offscreen does not use the xcb plugin


def test_the_editor_exits_2_with_that_message_instead_of_qts_abort(
    plugin_missing_a_library, tmp_path
):
    import os

    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(
        REELGRAPH_XCB_PLUGIN=str(plugin_missing_a_library),
        DISPLAY=":0",
        REELGRAPH_STATE_DIR=str(tmp_path),
    )
    out = subprocess.run(
        [sys.executable, "-m", "app.launch"], capture_output=True, text=True, env=env, timeout=120
    )
    assert (
        out.returncode == 2 and "cannot start" in out.stderr and "librgmissing.so.0" in out.stderr
    )


def test_known_libraries_map_to_debian_and_fedora_packages():
    deb, rpm, unknown = packages_for(
        ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0", "libzz.so.1"]
    )
    assert deb == ["libxcb-cursor0", "libxcb-icccm4", "libxkbcommon-x11-0"]
    assert rpm == ["xcb-util-cursor", "xcb-util-wm", "libxkbcommon-x11"] and unknown == [
        "libzz.so.1"
    ]


@pytest.mark.parametrize(
    "platform, wayland, checked",
    [
        ("", None, True),  # X11 session
        ("", "wayland-0", False),  # XWayland: Qt starts on wayland first
        ("XCB", "wayland-0", True),  # names are case-insensitive; xcb asked for
        ("xcb;wayland", None, True),
        ("wayland;xcb", None, False),
        ("OFFSCREEN", None, False),
    ],
)
def test_only_a_start_on_xcb_is_checked(
    plugin_missing_a_library, monkeypatch, platform, wayland, checked
):
    monkeypatch.setenv("REELGRAPH_XCB_PLUGIN", str(plugin_missing_a_library))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", platform)
    if wayland:
        monkeypatch.setenv("WAYLAND_DISPLAY", wayland)
    else:
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    said = check_xcb()
    assert (said is not None) is checked
    if checked:
        assert "Install the package that provides librgmissing.so.0" in said  # no dangling "and"
