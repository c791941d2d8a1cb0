"""Help inside the app: F1 on a node opens its reference; About lists versions, licences and
folders; the first-run welcome opens templates and remembers it was shown."""

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.ui.test_run import SHOTS


def test_f1_opens_the_selected_nodes_reference(win, qtbot):
    node = win._add_and_select("generator", (0, 0))
    win.bridge.viewer.setFocus()
    QTest.keyClick(win.bridge.viewer, Qt.Key_F1)
    qtbot.waitUntil(
        lambda: getattr(win, "help_dialog", None) is not None and win.help_dialog.isVisible()
    )
    text = win.help_dialog.browser.toPlainText()
    assert win.help_dialog.shows == "generator" and "Generator (generator)" in text
    assert "selected_take" in text and "which take the 'video' output carries" in text
    assert "Load audio" not in text  # just this node
    win.help_dialog.close()
    win.bridge.select([])
    dlg = win.show_help()
    assert dlg.shows is None and "Load audio (load_audio)" in dlg.browser.toPlainText()
    assert node == "generator"


def test_node_and_param_descriptions_are_tooltips(win):
    win._add_and_select("camera_path", (0, 0))
    assert "camera move" in win.bridge.item("camera_path").toolTip().lower()
    intensity = win.props.findChild(object, "param_intensity")
    assert "scales the preset" in intensity.toolTip()


def test_about_lists_versions_licences_and_folders(win):
    dlg = win.show_about()
    text = dlg.browser.toPlainText()
    from app import __version__

    assert f"Reelgraph {__version__}" in text and "x264" in text and "GPL-2.0-or-later" in text
    assert "LGPL-3.0" in text and "GNU GPL, version 3 or later" in text
    assert "Cache (results, job journal)" in text and "Settings, keys file, prices" in text
    dlg.resize(760, 680)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dlg.grab().save(str(SHOTS / "about.png"))


def test_welcome_starts_from_a_template_and_is_shown_once(win, state_dir, qtbot):
    from app.ui.help import first_run_marker

    assert not first_run_marker().exists()
    dlg = win.show_welcome()
    names = [dlg.list.item(i).text() for i in range(dlg.list.count())]
    assert "demo" in names and "motion loop" in names
    dlg.resize(720, 560)
    dlg.grab().save(str(SHOTS / "welcome.png"))
    dlg.list.setCurrentRow(names.index("motion loop"))
    dlg._chosen(dlg.list.currentItem())
    assert any(n.type == "motion_brush" for n in win.doc.wf.nodes) and win.doc.path is None
    assert first_run_marker().exists()  # not again unless asked for
