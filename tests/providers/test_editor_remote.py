"""The editor running a workflow whose generator is on the (fake) Kling backend: the cost is
confirmed first (or the run is called off with nothing submitted), the node runs in the remote
pool, and its result shows like any other."""

import shutil

from tests.ui.conftest import ROOT
from tests.ui.test_run import wait_run


def build(win, tmp_path, takes=2):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "coffee.png")
    d = win.doc
    d.add_node("prompt", (0, 0), {"subject": "espresso"})
    d.add_node("reference_image", (0, 200), {"path": str(tmp_path / "coffee.png")})
    d.add_node(
        "generator",
        (350, 0),
        {"backend": "kling", "model": "kling-v1", "duration": 5, "takes": takes},
    )
    d.connect(("prompt", "prompt"), ("generator", "prompt"))
    d.connect(("reference_image", "image"), ("generator", "image"))


def test_paid_run_asks_first_and_declining_submits_nothing(
    win, kling, tmp_path, qtbot, monkeypatch
):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    from app.providers.settings import load_settings, save_settings

    save_settings(dict(load_settings(), confirm_above=0.1))
    build(win, tmp_path)
    asked = []
    win.confirm_cost = lambda total, costs: asked.append((total, costs)) or False
    assert not win.run_all()
    assert (
        asked
        and abs(asked[0][0] - 0.28) < 1e-6
        and {n for n, c in asked[0][1].items() if c} == {"generator"}
    )
    assert kling.requests == [] and "estimated $0.28" in win.status_label.text()
    win.confirm_cost = lambda total, costs: True
    assert win.run_all()
    wait_run(win, qtbot)
    assert win.bridge.item("generator").state == "finished"
    assert kling.count("POST", "/image2video") == 2
    qtbot.waitUntil(lambda: len(win.bridge.item("generator").frames) > 1, timeout=10_000)
    win.compare_takes("generator")
    assert [s.lines[1].split()[0] for s in win.viewer.sources] == [
        "kling/kling-v1",
        "kling/kling-v1",
    ]
    assert "cost $0.14" in win.viewer.sources[0].lines[2]


def test_settings_dialog_stores_keys_and_preferences(win, tmp_path, monkeypatch):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))
    for k in ("REELGRAPH_KLING_ACCESS_KEY", "REELGRAPH_KLING_SECRET_KEY"):
        monkeypatch.delenv(k, raising=False)
    from app.providers.settings import get_key, load_settings
    from app.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(win)
    dlg.key_fields["kling"]["access_key"].setText("ak-1")
    dlg.key_fields["kling"]["secret_key"].setText("sk-2")
    dlg.url_fields["kling"].setText("http://127.0.0.1:9")
    dlg.threshold.setValue(12.5)
    dlg.default_backend.setCurrentText("kling")
    dlg.save()
    assert get_key("kling") == {"access_key": "ak-1", "secret_key": "sk-2"}
    s = load_settings()
    assert s["confirm_above"] == 12.5 and s["base_urls"] == {"kling": "http://127.0.0.1:9"}
    node = win._add_and_select("generator", (0, 0))
    assert win.doc.wf.node(node).params == {
        "backend": "kling"
    }  # the default backend for new generators
