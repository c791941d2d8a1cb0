"""The `reelgraph` command, run as a real process."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.core.testnodes import wf, write

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path):
    e = dict(os.environ)
    e["REELGRAPH_PLUGINS"] = "tests.core.testnodes"
    e["PYTHONPATH"] = str(ROOT)
    e["REELGRAPH_CACHE_DIR"] = str(tmp_path / "cache")
    e["REELGRAPH_LOG_DIR"] = str(tmp_path / "logs")
    return e


def cli(tmp_path, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env(tmp_path),
        timeout=timeout,
        cwd=tmp_path,
    )


def events(proc):
    return [json.loads(line) for line in proc.stdout.splitlines()]


DOC = wf(
    [
        ("a", "t_const", {"value": "A"}),
        ("j", "t_join", {"sep": "-"}),
        ("v", "t_video", {"name": "clip.bin"}),
    ],
    [("a", "out", "j", "items")],
)


def test_run_jsonl_then_cache_survives_a_new_process(tmp_path):
    path = write(tmp_path / "w.json", DOC)
    first = cli(tmp_path, "run", str(path), "--events", "jsonl")
    assert first.returncode == 0, first.stderr
    evs = events(first)  # every stdout line is a JSON event
    assert evs[0]["event"] == "run_started" and evs[-1]["event"] == "run_finished"
    finished = {e["node"]: e for e in evs if e["event"] == "finished"}
    assert set(finished) == {"a", "j", "v"}
    assert finished["j"]["type"] == "t_join"
    assert json.loads(Path(finished["j"]["outputs"]["out"]).read_text()) == {"text": "A"}
    assert finished["v"]["delivered"] == [str(tmp_path / "renders" / "clip.bin")]
    assert all({"event", "run_id", "t"} <= set(e) for e in evs)

    second = cli(tmp_path, "run", str(path), "--events", "jsonl")
    evs2 = events(second)
    assert second.returncode == 0
    assert [e for e in evs2 if e["event"] == "started"] == []  # nothing executed in the new process
    assert {e["node"] for e in evs2 if e["event"] == "cached"} == {"a", "j", "v"}


def test_set_target_out_and_no_cache(tmp_path):
    path = write(tmp_path / "w.json", DOC)
    out = tmp_path / "elsewhere"
    p = cli(
        tmp_path,
        "run",
        str(path),
        "--events",
        "jsonl",
        "--set",
        "a.value=hello",
        "--set",
        'j.sep="*"',
        "--target",
        "j",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    evs = events(p)
    assert {e["node"] for e in evs if e["event"] == "finished"} == {"a", "j"}
    fin = [e for e in evs if e["event"] == "finished" and e["node"] == "j"][0]
    assert json.loads(Path(fin["outputs"]["out"]).read_text()) == {"text": "hello"}
    p = cli(tmp_path, "run", str(path), "--events", "jsonl", "--target", "v", "--out", str(out))
    assert (out / "clip.bin").exists()
    again = cli(tmp_path, "run", str(path), "--events", "jsonl", "--target", "a", "--no-cache")
    assert [e["node"] for e in events(again) if e["event"] == "started"] == ["a"]
    # the JSON parse of --set: numbers become numbers, so a param that wants a string refuses 5
    bad = cli(tmp_path, "run", str(path), "--set", "a.value=5")
    assert bad.returncode == 2 and "node a (t_const): param 'value'" in bad.stderr


def test_cache_dir_flag_and_cache_commands(tmp_path):
    path = write(tmp_path / "w.json", DOC)
    cdir = tmp_path / "mycache"
    assert (
        cli(tmp_path, "run", str(path), "--cache-dir", str(cdir), "--events", "jsonl").returncode
        == 0
    )
    info = cli(tmp_path, "cache", "info", "--cache-dir", str(cdir))
    assert "entries: 3" in info.stdout and str(cdir) in info.stdout
    cleared = cli(tmp_path, "cache", "clear", "--cache-dir", str(cdir))
    assert "removed 3" in cleared.stdout
    assert "entries: 0" in cli(tmp_path, "cache", "info", "--cache-dir", str(cdir)).stdout


def test_exit_codes(tmp_path):
    failing = write(tmp_path / "f.json", wf([("bad", "t_fail", {}), ("ok", "t_const", {})], []))
    p = cli(tmp_path, "run", str(failing))
    assert p.returncode == 1
    assert "node bad (t_fail)" in p.stdout and "Traceback" not in p.stdout + p.stderr
    crash = write(tmp_path / "c.json", wf([("c", "t_crash", {})], []))
    p = cli(tmp_path, "run", str(crash))
    assert p.returncode == 1 and "internal error: ZeroDivisionError" in p.stdout
    assert "Traceback" not in p.stdout + p.stderr
    assert (
        "Traceback" in (tmp_path / "logs" / "reelgraph.log").read_text()
    )  # the detail is in the log
    invalid = write(tmp_path / "i.json", wf([("n", "t_needs", {})], []))
    p = cli(tmp_path, "run", str(invalid))
    assert p.returncode == 2 and "node n (t_needs): input 'p'" in p.stderr
    assert cli(tmp_path, "run", str(tmp_path / "missing.json")).returncode == 2
    assert cli(tmp_path, "run", str(invalid), "--bogus").returncode == 2
    assert cli(tmp_path, "run", str(failing), "--set", "nosuch.x=1").returncode == 2


def test_ctrl_c_cancels_cleanly_with_exit_130(tmp_path):
    path = write(tmp_path / "s.json", wf([("long", "t_sleep", {"seconds": 30})], []))
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "run", str(path), "--events", "jsonl"],
        stdout=subprocess.PIPE,
        text=True,
        env=env(tmp_path),
        cwd=tmp_path,
    )
    for line in proc.stdout:
        if json.loads(line)["event"] == "started":
            break
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    rest = [json.loads(line) for line in proc.stdout]
    assert proc.wait(timeout=10) == 130
    assert any(e["event"] == "cancelled" and e["node"] == "long" for e in rest)
    assert rest[-1]["event"] == "run_finished" and rest[-1]["status"] == "cancelled"
    staging = tmp_path / "cache" / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []


def test_validate_lines(tmp_path):
    good = write(tmp_path / "g.json", DOC)
    assert cli(tmp_path, "validate", str(good)).returncode == 0
    bad = write(
        tmp_path / "b.json", wf([("n", "t_needs", {}), ("s", "t_sleep", {"seconds": -1})], [])
    )
    p = cli(tmp_path, "validate", str(bad))
    assert p.returncode == 2
    lines = p.stdout.strip().splitlines()
    assert (
        lines[0]
        == "node n (t_needs): input 'p': required input is not connected; connect a PROMPT output"
    )
    assert lines[1].startswith(
        "node s (t_sleep): param 'seconds': Input should be greater than or equal to 0"
    )


def test_nodes_catalog_and_version(tmp_path):
    p = cli(tmp_path, "nodes", "--json")
    catalog = {e["type"]: e for e in json.loads(p.stdout)}
    join = catalog["t_join"]
    assert join["inputs"][0] == {
        "name": "items",
        "types": ["PROMPT"],
        "required": False,
        "multi": True,
        "description": "",
    }
    assert join["params_schema"]["properties"]["sleep"]["maximum"] == 30
    assert join["legacy_ids"] == ["t_concat"]
    table = cli(tmp_path, "nodes")
    assert table.returncode == 0 and "t_join" in table.stdout
    from app import __version__

    assert cli(tmp_path, "--version").stdout.strip() == f"reelgraph {__version__}"


def test_editor_without_display_says_so(tmp_path):
    e = env(tmp_path)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        e.pop(k, None)
    p = subprocess.run(
        [sys.executable, "-m", "app.cli"], capture_output=True, text=True, env=e, timeout=60
    )
    assert p.returncode == 1 and "no display found" in p.stderr and "make demo" in p.stderr
