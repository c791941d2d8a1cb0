"""`reelgraph keys`, `providers`, `run --dry-run`, and a planted key searched for in everything
a run writes."""

import json
import os
import shutil
import stat
import subprocess
import sys

from tests.providers.fakes import ACCESS, SECRET
from tests.ui.conftest import ROOT


def cli(*args, env, stdin=None):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELGRAPH_KLING")}
    env.update(REELGRAPH_CONFIG_DIR=str(tmp_path / "config"), REELGRAPH_CACHE_DIR=str(tmp_path / "cache"),
               REELGRAPH_LOG_DIR=str(tmp_path / "logs"), **extra)
    return env


def test_keys_set_list_remove_with_the_file_fallback(tmp_path):
    env = clean_env(tmp_path)
    out = cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n{SECRET}\n")
    assert out.returncode == 0, out.stderr
    assert "warning: no system keyring" in out.stderr  # this machine has no keyring service
    keyfile = tmp_path / "config" / "keys.json"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert json.loads(keyfile.read_text()) == {"kling:access_key": ACCESS, "kling:secret_key": SECRET}
    assert "kling      set (file)" in cli("keys", "list", env=env).stdout
    env_over = dict(env, REELGRAPH_KLING_ACCESS_KEY="a", REELGRAPH_KLING_SECRET_KEY="b")
    assert "set (environment)" in cli("keys", "list", env=env_over).stdout
    assert "removed" in cli("keys", "remove", "kling", env=env).stdout
    assert "kling      not set" in cli("keys", "list", env=env).stdout
    out = cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n\n")
    assert out.returncode == 2 and "missing secret_key" in out.stderr


def test_providers_lists_capabilities_and_key_state(tmp_path):
    env = clean_env(tmp_path)
    rows = {r["backend"]: r for r in json.loads(cli("providers", "--json", env=env).stdout)}
    assert rows["kling"]["key"] == "not set" and rows["local"]["key"] == "not needed"
    assert rows["kling"]["capabilities"]["kling-v1"]["motion"] is True
    assert rows["kling"]["capabilities"]["kling-v2-1"]["motion"] is False
    assert "Sora" in cli("providers", env=env).stdout


def workflow(tmp_path, takes=2):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "coffee.png")
    doc = {"schema": "reelgraph/workflow", "version": 1, "name": "paid",
           "nodes": [{"id": "p", "type": "prompt", "params": {"subject": "x"}},
                     {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
                     {"id": "g", "type": "generator", "params": {"backend": "kling", "model": "kling-v1",
                                                                 "duration": 5, "takes": takes}},
                     {"id": "e", "type": "export", "params": {"filename": "paid", "timeline": True}}],
           "links": [{"from": ["p", "prompt"], "to": ["g", "prompt"]}, {"from": ["i", "image"], "to": ["g", "image"]},
                     {"from": ["g", "video"], "to": ["e", "video"]}]}
    (tmp_path / "paid.json").write_text(json.dumps(doc))
    return tmp_path / "paid.json"


def test_dry_run_prices_what_would_run_and_runs_nothing(kling, tmp_path):
    env = clean_env(tmp_path, REELGRAPH_KLING_BASE_URL=kling.url, REELGRAPH_KLING_ACCESS_KEY=ACCESS,
                    REELGRAPH_KLING_SECRET_KEY=SECRET, REELGRAPH_POLL_INTERVAL="0.05")
    wf = workflow(tmp_path)
    out = cli("run", str(wf), "--dry-run", env=env)
    assert out.returncode == 0, out.stderr
    assert "g" in out.stdout and "$0.28" in out.stdout  # 2 takes x 5 s x $0.028
    assert "total estimate: $0.28" in out.stdout
    assert kling.requests == [] and not (tmp_path / "renders").exists()
    assert cli("run", str(wf), env=env).returncode == 0
    again = cli("run", str(wf), "--dry-run", env=env).stdout
    assert "total estimate: $0.00" in again and "cached" in again


def test_a_planted_key_is_never_written_anywhere(kling, tmp_path):
    env = clean_env(tmp_path, REELGRAPH_KLING_BASE_URL=kling.url, REELGRAPH_POLL_INTERVAL="0.05")
    assert cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n{SECRET}\n").returncode == 0
    wf = workflow(tmp_path, takes=1)
    out = cli("run", str(wf), "--events", "jsonl", env=env)
    assert out.returncode == 0, out.stderr
    (tmp_path / "events.jsonl").write_text(out.stdout + out.stderr)
    assert kling.tokens and kling.tokens[0]["iss"] == ACCESS  # the key was used
    searched = 0
    for path in tmp_path.rglob("*"):
        if not path.is_file() or path.name == "keys.json":
            continue
        data = path.read_bytes()
        assert ACCESS.encode() not in data and SECRET.encode() not in data, path
        searched += 1
    names = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert {"jobs.sqlite", "manifest.json", "paid.mp4", "reelgraph.log", "events.jsonl", "paid.json",
            "paid.otio"} <= names
    assert searched > 10
